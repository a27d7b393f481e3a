using FusedOps;

namespace FusedOps.Tests.Pipelines;

// Conv2d groups followed by Maxout, which inference runs in the convolution's epilogue: runs of pieces inside one
// register block, runs cut by block boundaries (Vector256 blocks of 3 rows against 2 and 4 pieces), a residual, grouped
// and strided convolutions, partial 32-pixel panels, the Maxout as the last group, and cases that keep the Maxout pass.

/// <summary>Conv→BN→Maxout(3) on 6 channels at 7×9 (63 pixels: one partial panel), then a Linear.</summary>
[FusedPipeline(3, 7, 9)]
[Conv2d(6, 3, Padding = 1)]
[BatchNorm]
[Maxout(3)]
[Flatten]
[Linear(5)]
public partial class ConvMaxoutBn
{
}

/// <summary>10 channels in Maxout(2) (Vector256 blocks at channels 0, 3, 6, 8: the run of channels 2 and 3 is cut), then 8 channels
/// with a SiLU of their own in Maxout(4) (runs longer than a Vector256 block), the last group.</summary>
[FusedPipeline(4, 9, 11)]
[Conv2d(10, 3, Padding = 1)]
[Maxout(2)]
[Conv2d(8, 3, Stride = 2, Padding = 1)]
[SiLU]
[Maxout(4)]
public partial class ConvMaxoutCut
{
}

/// <summary>
/// A residual Conv→BN→Add→ReLU→Maxout(4) on 8 channels, then a grouped strided conv (2 groups of 6: a run cut by a
/// Vector256 block) with Maxout(2).
/// </summary>
[FusedPipeline(8, 10, 13)]
[Save("a")]
[Conv2d(8, 3, Padding = 1)]
[BatchNorm]
[Add("a")]
[ReLU]
[Maxout(4)]
[Conv2d(12, 3, Stride = 2, Groups = 2)]
[Maxout(2)]
[Flatten]
[Linear(3)]
public partial class ResidualGroupedMaxout
{
}

/// <summary>A Save of the convolution's output keeps the first Maxout's pass; runs of 2 that cross the conv groups' 3 channels are fused.</summary>
[FusedPipeline(2, 6, 5)]
[Conv2d(4, 3, Padding = 1)]
[Save("s")]
[Maxout(2)]
[Conv2d(6, 1, Groups = 2)]
[Maxout(2)]
public partial class MaxoutNotFused
{
}

/// <summary>
/// Large enough (2.4 MFLOP per sample) for two threads at batch 1, split over panels: Conv→BN→Maxout(2) at 25×41. No bias
/// before the BatchNorm: its gradient is zero up to rounding, which a relative check at batch 8 cannot judge.
/// </summary>
[FusedPipeline(8, 25, 41)]
[Conv2d(16, 3, Padding = 1, Bias = false)]
[BatchNorm]
[Maxout(2)]
public partial class ParallelConvMaxout
{
}

/// <summary>
/// Runs crossing the conv groups, fused: 4 channels per group in Maxout(3) (groups start at phases 0, 1 and 2; 63 pixels, a
/// partial panel), a strided conv with 3 channels per group, BatchNorm and Maxout(2) (20 pixels), and a depthwise conv in
/// Maxout(3) (each run spans three groups).
/// </summary>
[FusedPipeline(6, 7, 9)]
[Conv2d(12, 3, Padding = 1, Groups = 3)]
[Maxout(3)]
[Conv2d(6, 3, Stride = 2, Padding = 1, Groups = 2)]
[BatchNorm]
[Maxout(2)]
[Conv2d(3, 3, Padding = 1, Groups = 3)]
[Maxout(3)]
[Flatten]
[Linear(4)]
public partial class CrossingMaxout
{
}

/// <summary>A residual conv (3 groups of 4 channels) and Add with Maxout(3) across the groups at 5×7, then a Linear.</summary>
[FusedPipeline(12, 5, 7)]
[Save("a")]
[Conv2d(12, 3, Padding = 1, Groups = 3)]
[Add("a")]
[Maxout(3)]
[Flatten]
[Linear(3)]
public partial class CrossingMaxoutResidual
{
}

#pragma warning disable FOPS0015 // intended: a layer too wide to unroll its training block calls

/// <summary>Conv2d(76) (FOPS0015: training loops over its blocks, inference unrolls them for the Maxout) with Maxout(4), then Maxout(2) after BN.</summary>
[FusedPipeline(3, 5, 7)]
[Conv2d(76, 3, Padding = 1)]
[Maxout(4)]
[Conv2d(78, 1, Bias = false)]
[BatchNorm]
[Maxout(2)]
public partial class VeryWideConvMaxout
{
}
#pragma warning restore FOPS0015

/// <summary>
/// Maxout after Linear groups, in the packed GEMM's epilogue: 2 pieces of 19 outputs (a partial last panel), 8 pieces after
/// a ReLU, 3 pieces (not dividing a 16-column panel: its own pass), 16 pieces (one output per panel).
/// </summary>
[FusedPipeline(13)]
[Linear(38)]
[Maxout(2)]
[Linear(24)]
[ReLU]
[Maxout(8)]
[Linear(15)]
[Maxout(3)]
[Linear(32)]
[Maxout(16)]
public partial class LinearMaxouts
{
}

/// <summary>Large enough (3.2 MFLOP at batch 8) for the packed GEMM to split over two threads: Linear(256)→Maxout(2), then Linear(5).</summary>
[FusedPipeline(784)]
[Linear(256)]
[Maxout(2)]
[Linear(5)]
public partial class WideLinearMaxout
{
}
