using System;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using FusedOps.Benchmarks.Onnx;

namespace FusedOps.Benchmarks;

/// <summary>
/// Case P under BenchmarkDotNet (allocations measured): Conv2d 16→32 3×3 p1 + BatchNorm + ReLU + MaxPool2d(2) on
/// 8×16×32×32, <c>Frozen.Infer</c> as planned (the conv, on Winograd at 512 and 256 bits, then the pool in its own pass: the planner
/// does not fuse a 2×2 max pool into a Winograd convolution) at 1 and 2 threads, the same layers with a Save keeping the
/// pool in its own pass, and ONNX Runtime on the same model at 1 and 2 intra-op threads.
/// </summary>
[Config(typeof(Config))]
[MemoryDiagnoser]
public class CnnPoolBenchmarks : IFlopCount, IDisposable
{
    private CnnCase _fused = null!;
    private CnnCase _separate = null!;
    private OnnxPipeline _onnx1 = null!;
    private OnnxPipeline _onnx2 = null!;

    /// <summary>Builds the models and ONNX Runtime sessions (not timed).</summary>
    [GlobalSetup]
    public void Setup()
    {
        var fused = new ConvPoolBlock(1);
        _fused = new CnnCase(fused, fused.Freeze, 8);
        var separate = new ConvThenPoolBlock(1);
        _separate = new CnnCase(separate, separate.Freeze, 8);
        float[] output = new float[_fused.Output.Length];
        _onnx1 = new OnnxPipeline(_fused.Model, _fused.Layers, _fused.Input, output, _fused.Batch, threads: 1);
        _onnx2 = new OnnxPipeline(_fused.Model, _fused.Layers, _fused.Input, output, _fused.Batch, threads: 2);
    }

    /// <summary>Releases ONNX Runtime.</summary>
    [GlobalCleanup]
    public void Dispose()
    {
        _onnx1?.Dispose();
        _onnx2?.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>ONNX Runtime, one intra-op thread.</summary>
    [Benchmark(Baseline = true, Description = "ORT 1 thread")]
    public void Onnx1() => _onnx1.Infer();

    /// <summary>ONNX Runtime, two intra-op threads.</summary>
    [Benchmark(Description = "ORT 2 threads")]
    public void Onnx2() => _onnx2.Infer();

    /// <summary><c>Frozen.Infer</c>, pool in the epilogue, one thread.</summary>
    [Benchmark(Description = "Frozen.Infer as planned 1 thread")]
    public void Fused1()
    {
        KernelOptions.MaxDegreeOfParallelism = 1;
        _fused.FrozenInfer();
    }

    /// <summary><c>Frozen.Infer</c>, pool in the epilogue, up to two threads.</summary>
    [Benchmark(Description = "Frozen.Infer as planned 2 threads")]
    public void Fused2()
    {
        KernelOptions.MaxDegreeOfParallelism = 2;
        _fused.FrozenInfer();
    }

    /// <summary><c>Frozen.Infer</c> with the pool in its own pass, one thread.</summary>
    [Benchmark(Description = "Frozen.Infer pool pass 1 thread")]
    public void Separate1()
    {
        KernelOptions.MaxDegreeOfParallelism = 1;
        _separate.FrozenInfer();
    }

    /// <inheritdoc/>
    public long FlopsOf(string method) => 2L * 32 * 16 * 3 * 3 * 32 * 32 * 8; // multiply-adds: weights × output pixels × batch

    /// <summary>Few iterations and a GFLOP/s column, as <see cref="CaseBenchmarks"/>.</summary>
    private sealed class Config : ManualConfig
    {
        public Config()
        {
            AddJob(Job.Default.WithWarmupCount(5).WithIterationCount(15).WithId("FusedOps"));
            AddColumn(new GigaFlopsColumn());
        }
    }
}
