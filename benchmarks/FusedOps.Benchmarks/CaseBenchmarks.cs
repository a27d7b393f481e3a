using System;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using FusedOps.Benchmarks.Onnx;

namespace FusedOps.Benchmarks;

/// <summary>
/// The five cases of the quick mode under BenchmarkDotNet, with allocations measured
/// (MemoryDiagnoser): <c>Frozen.Infer</c> at 1 and 2 threads against ONNX Runtime at 1 and 2
/// intra-op threads, and the training step (ZeroGrad + Forward + Backward, no input gradient)
/// against the same step written on TensorPrimitives.
/// </summary>
[Config(typeof(Config))]
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class CaseBenchmarks : IFlopCount, IDisposable
{
    private const string Inference = "Inference";
    private const string Training = "Training step";

    private Workload _workload = null!;
    private TensorPrimitivesBaseline _primitives = null!;
    private OnnxPipeline _onnx1 = null!;
    private OnnxPipeline _onnx2 = null!;

    /// <summary>The case: B, C, S1, S2 or M (see <see cref="Workload.ForCase"/>).</summary>
    [Params("B", "C", "S1", "S2", "M")]
    public string Case { get; set; } = "B";

    /// <summary>Builds the models and ONNX Runtime sessions (not timed).</summary>
    [GlobalSetup]
    public void Setup()
    {
        _workload = Workload.ForCase(Case);
        _primitives = new TensorPrimitivesBaseline(_workload);
        float[] output = new float[_workload.Batch * _workload.Model.OutputLength];
        _onnx1 = new OnnxPipeline(_workload.Model, _workload.Layers, _workload.Input, output, _workload.Batch, threads: 1);
        _onnx2 = new OnnxPipeline(_workload.Model, _workload.Layers, _workload.Input, output, _workload.Batch, threads: 2);
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
    [BenchmarkCategory(Inference)]
    public void Onnx1() => _onnx1.Infer();

    /// <summary>ONNX Runtime, two intra-op threads.</summary>
    [Benchmark(Description = "ORT 2 threads")]
    [BenchmarkCategory(Inference)]
    public void Onnx2() => _onnx2.Infer();

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

    /// <summary>The training step written on TensorPrimitives, one thread.</summary>
    [Benchmark(Baseline = true, Description = "TensorPrimitives training step")]
    [BenchmarkCategory(Training)]
    public void PrimitivesTrainingStep() => _primitives.TrainingStep();

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
        (long inference, long training) = Workload.CaseFlops(Case);
        return method.Contains("Training", StringComparison.Ordinal) ? training : inference;
    }

    /// <summary>Few iterations (the cases take microseconds to milliseconds) and a GFLOP/s column.</summary>
    private sealed class Config : ManualConfig
    {
        public Config()
        {
            AddJob(Job.Default.WithWarmupCount(5).WithIterationCount(15).WithId("FusedOps"));
            AddColumn(new GigaFlopsColumn());
        }
    }
}
