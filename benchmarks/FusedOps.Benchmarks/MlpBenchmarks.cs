using System;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;

namespace FusedOps.Benchmarks;

/// <summary>
/// Issue 7's LayerNorm + GELU MLP (<see cref="MlpWorkload"/>) under BenchmarkDotNet with allocations measured:
/// <c>Frozen.Infer</c> at 1 and 2 threads against ONNX Runtime at 1 and 2 intra-op threads and the reference
/// interpreter; the training step against the reference's.
/// </summary>
[Config(typeof(Config))]
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class MlpBenchmarks : IFlopCount, IDisposable
{
    private const string Inference = "Inference";
    private const string Training = "Training step";

    private MlpWorkload _workload = null!;

    /// <summary>Builds the models and ONNX Runtime sessions (not timed).</summary>
    [GlobalSetup]
    public void Setup() => _workload = new MlpWorkload(onnx: true);

    /// <summary>Releases ONNX Runtime.</summary>
    [GlobalCleanup]
    public void Dispose()
    {
        _workload?.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>ONNX Runtime, one intra-op thread.</summary>
    [Benchmark(Baseline = true, Description = "ORT 1 thread")]
    [BenchmarkCategory(Inference)]
    public void Onnx1() => _workload.Onnx1!.Infer();

    /// <summary>ONNX Runtime, two intra-op threads.</summary>
    [Benchmark(Description = "ORT 2 threads")]
    [BenchmarkCategory(Inference)]
    public void Onnx2() => _workload.Onnx2!.Infer();

    /// <summary><c>Frozen.Infer</c>, one thread.</summary>
    [Benchmark(Description = "Frozen.Infer 1 thread")]
    [BenchmarkCategory(Inference)]
    public void Frozen1()
    {
        KernelOptions.MaxDegreeOfParallelism = 1;
        _workload.FrozenInfer();
    }

    /// <summary><c>Frozen.Infer</c>, up to two threads.</summary>
    [Benchmark(Description = "Frozen.Infer 2 threads")]
    [BenchmarkCategory(Inference)]
    public void Frozen2()
    {
        KernelOptions.MaxDegreeOfParallelism = 2;
        _workload.FrozenInfer();
    }

    /// <summary>The reference interpreter's inference.</summary>
    [Benchmark(Description = "Reference Infer")]
    [BenchmarkCategory(Inference)]
    public void ReferenceInfer() => _workload.ReferenceInfer();

    /// <summary>The reference interpreter's training step.</summary>
    [Benchmark(Baseline = true, Description = "Reference training step")]
    [BenchmarkCategory(Training)]
    public void ReferenceTrainingStep() => _workload.ReferenceTrainingStep();

    /// <summary>The generated training step, one thread.</summary>
    [Benchmark(Description = "Training step 1 thread")]
    [BenchmarkCategory(Training)]
    public void TrainingStep()
    {
        KernelOptions.MaxDegreeOfParallelism = 1;
        _workload.TrainingStep();
    }

    /// <inheritdoc/>
    public long FlopsOf(string method)
    {
        ArgumentNullException.ThrowIfNull(method);
        return method.Contains("Training", StringComparison.Ordinal) ? MlpWorkload.Flops.Training : MlpWorkload.Flops.Inference;
    }

    /// <summary>Few iterations and a GFLOP/s column.</summary>
    private sealed class Config : ManualConfig
    {
        public Config()
        {
            AddJob(Job.Default.WithWarmupCount(5).WithIterationCount(15).WithId("FusedOps"));
            AddColumn(new GigaFlopsColumn());
        }
    }
}
