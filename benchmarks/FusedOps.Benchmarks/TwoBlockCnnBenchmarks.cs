namespace FusedOps.Benchmarks;

/// <summary>The Shapes sample's two-block CNN on batch 64 × 1×16×16 (training skips the input gradient, as the sample does).</summary>
public class TwoBlockCnnBenchmarks : PipelineBenchmarks
{
    /// <inheritdoc/>
    protected override (long Inference, long Training) Flops => Workload.TwoBlockCnnFlops;

    /// <inheritdoc/>
    protected override Workload CreateWorkload() => Workload.TwoBlockCnn();
}
