using BenchmarkDotNet.Attributes;
using FusedOps.Benchmarks.Onnx;

namespace FusedOps.Benchmarks;

/// <summary>
/// The case, Conv2d 16→32 3×3 padding 1 + BatchNorm + ReLU on batch 8 × 16×32×32 (the
/// training step computes the input gradient too), plus ONNX Runtime with one thread as a peer
/// for inference.
/// </summary>
public class ConvBnReluBenchmarks : PipelineBenchmarks
{
    private OnnxConvBnRelu? _onnx;

    /// <inheritdoc/>
    protected override void OnSetup()
    {
        _onnx = new OnnxConvBnRelu(Workload.Model, Workload.Input, new float[Workload.Batch * Workload.Model.OutputLength], Workload.Batch);
    }

    /// <summary>Releases ONNX Runtime.</summary>
    [GlobalCleanup]
    public void Cleanup() => _onnx?.Dispose();

    /// <summary>ONNX Runtime, one intra-op thread, the same graph and state.</summary>
    [Benchmark(Description = "ONNX Runtime (1 thread)")]
    [BenchmarkCategory(Inference)]
    public void OnnxRuntime() => _onnx!.Infer();

    /// <inheritdoc/>
    protected override (long Inference, long Training) Flops => Workload.ConvBnReluFlops;

    /// <inheritdoc/>
    protected override Workload CreateWorkload() => Workload.ConvBnRelu();
}
