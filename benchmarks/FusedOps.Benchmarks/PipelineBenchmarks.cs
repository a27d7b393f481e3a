using System;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Order;
using BenchmarkDotNet.Reports;

namespace FusedOps.Benchmarks;

/// <summary>
/// The cases every pipeline is timed on, one thread: <c>Frozen.Infer</c>, <c>Infer</c> and a
/// training step (ZeroGrad + Forward + Backward, no optimizer), each against the reference
/// interpreter holding the same state as the baseline of its category. A derived class names the
/// <see cref="Workload"/>.
/// </summary>
[Config(typeof(Config))]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public abstract class PipelineBenchmarks : IFlopCount
{
    /// <summary>Category of the inference cases.</summary>
    protected const string Inference = "Inference";

    /// <summary>Category of the training cases.</summary>
    protected const string Training = "Training step";

    /// <summary>The models and buffers, built in <see cref="Setup"/>.</summary>
    protected Workload Workload { get; private set; } = null!;

    /// <summary>Builds the models and buffers (not timed).</summary>
    [GlobalSetup]
    public void Setup()
    {
        Workload = CreateWorkload();
        OnSetup();
    }

    /// <summary>Reference interpreter, eval mode.</summary>
    [Benchmark(Baseline = true, Description = "Reference.Infer")]
    [BenchmarkCategory(Inference)]
    public void ReferenceInfer() => Workload.ReferenceInfer();

    /// <summary>Generated <c>Freeze()</c>: BatchNorm folded into the weights, one fused pass per group.</summary>
    [Benchmark(Description = "Frozen.Infer")]
    [BenchmarkCategory(Inference)]
    public void FrozenInfer() => Workload.FrozenInfer();

    /// <summary>Generated <c>Infer</c>: eval mode, BatchNorm as a scale/shift epilogue.</summary>
    [Benchmark(Description = "Infer")]
    [BenchmarkCategory(Inference)]
    public void Infer() => Workload.Infer();

    /// <summary>Reference interpreter training step.</summary>
    [Benchmark(Baseline = true, Description = "Reference Forward+Backward")]
    [BenchmarkCategory(Training)]
    public void ReferenceTrainingStep() => Workload.ReferenceTrainingStep();

    /// <summary>Generated training step.</summary>
    [Benchmark(Description = "Forward+Backward")]
    [BenchmarkCategory(Training)]
    public void TrainingStep() => Workload.TrainingStep();

    /// <inheritdoc/>
    public long FlopsOf(string method)
    {
        ArgumentNullException.ThrowIfNull(method);
        (long inference, long training) = Flops;
        return method.Contains("Training", StringComparison.Ordinal) ? training : inference;
    }

    /// <summary>FLOPs of one inference call and one training step, known without building the models.</summary>
    protected abstract (long Inference, long Training) Flops { get; }

    /// <summary>Builds the workload.</summary>
    protected abstract Workload CreateWorkload();

    /// <summary>Further setup after <see cref="Workload"/> is built.</summary>
    protected virtual void OnSetup()
    {
    }

    /// <summary>A fixed, modest number of iterations (the reference takes tenths of a second a call); speed-ups as "N× faster", slowest first; a GFLOP/s column.</summary>
    private sealed class Config : ManualConfig
    {
        public Config()
        {
            AddJob(Job.Default.WithWarmupCount(3).WithIterationCount(10).WithId("FusedOps"));
            AddColumn(new GigaFlopsColumn());
            SummaryStyle = SummaryStyle.Default.WithRatioStyle(RatioStyle.Trend);
            Orderer = new DefaultOrderer(SummaryOrderPolicy.SlowestToFastest); // the reference first in each category
        }
    }
}
