using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using FusedOps.Benchmarks.Onnx;

namespace FusedOps.Benchmarks;

/// <summary>
/// The case, Conv2d 16→32 3×3 padding 1 + BatchNorm + ReLU on batch 8 × 16×32×32, one
/// thread: Frozen.Infer, Infer and a training step (ZeroGrad + Forward + Backward with the input
/// gradient, no optimizer), each against the reference interpreter as the baseline of its
/// category; ONNX Runtime (one thread) as a peer for inference.
/// </summary>
[Config(typeof(Config))]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class ConvBnReluBenchmarks : IFlopCount
{
    private Workload _workload = null!;
    private OnnxConvBnRelu? _onnx;

    /// <summary>Builds the models and buffers (not timed).</summary>
    [GlobalSetup]
    public void Setup()
    {
        _workload = Workload.ConvBnRelu();
        _onnx = new OnnxConvBnRelu(_workload.Model, _workload.Input, new float[_workload.Batch * _workload.Model.OutputLength], _workload.Batch);
    }

    /// <summary>Releases ONNX Runtime.</summary>
    [GlobalCleanup]
    public void Cleanup() => _onnx?.Dispose();

    /// <summary>Reference interpreter, eval mode.</summary>
    [Benchmark(Baseline = true, Description = "Reference.Infer")]
    [BenchmarkCategory("Inference")]
    public void ReferenceInfer() => _workload.ReferenceInfer();

    /// <summary>Generated Freeze(): BatchNorm folded, one fused pass.</summary>
    [Benchmark(Description = "Frozen.Infer")]
    [BenchmarkCategory("Inference")]
    public void FrozenInfer() => _workload.FrozenInfer();

    /// <summary>Generated Infer: eval mode, BatchNorm as scale/shift in the epilogue.</summary>
    [Benchmark(Description = "Infer")]
    [BenchmarkCategory("Inference")]
    public void Infer() => _workload.Infer();

    /// <summary>ONNX Runtime, one intra-op thread, the same graph and state.</summary>
    [Benchmark(Description = "ONNX Runtime (1 thread)")]
    [BenchmarkCategory("Inference")]
    public void OnnxRuntime() => _onnx!.Infer();

    /// <summary>Reference interpreter training step.</summary>
    [Benchmark(Baseline = true, Description = "Reference Forward+Backward")]
    [BenchmarkCategory("Training step")]
    public void ReferenceTrainingStep() => _workload.ReferenceTrainingStep();

    /// <summary>Generated training step.</summary>
    [Benchmark(Description = "Forward+Backward")]
    [BenchmarkCategory("Training step")]
    public void TrainingStep() => _workload.TrainingStep();

    /// <inheritdoc/>
    public long FlopsOf(string method)
    {
        // The FLOP counts depend only on the pipeline and batch, so they are computed without the models.
        (long inference, long training) = Workload.ConvBnReluFlops;
        return method.Contains("Training", System.StringComparison.Ordinal) ? training : inference;
    }

    /// <summary>A fixed, modest number of iterations: the reference takes a quarter of a second a call.</summary>
    private sealed class Config : ManualConfig
    {
        public Config()
        {
            AddJob(Job.Default.WithWarmupCount(3).WithIterationCount(10).WithId("FusedOps"));
            AddColumn(new GigaFlopsColumn());
        }
    }
}
