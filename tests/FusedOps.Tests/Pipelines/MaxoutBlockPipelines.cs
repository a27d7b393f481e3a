using FusedOps;

namespace FusedOps.Tests.Pipelines;

// Maxout after Linear → BatchNorm and after Conv2d → BatchNorm with a 1×1 output (the Maxout rides BatchNorm's normalise and
// reduction passes a sample's row at a time), and after a plain Linear with pieces not dividing 16 (the GEMM's epilogue in blocked
// order, inference and training). No bias before a BatchNorm: its gradient is zero up to rounding, which a relative check cannot
// judge. FOPS0013 warns that BatchNorm on one value per channel trains only with batches of 2 or more.
#pragma warning disable FOPS0013

/// <summary>Linear→BN→Maxout with 2 pieces of 38 features, 3 of 21, 5 of 35, then a head.</summary>
[FusedPipeline(11)]
[Linear(38, Bias = false)]
[BatchNorm]
[Maxout(2)]
[Linear(21, Bias = false)]
[BatchNorm]
[Maxout(3)]
[Linear(35, Bias = false)]
[BatchNorm]
[Maxout(5)]
[Linear(4)]
public partial class LinearBnMaxoutNet
{
}

/// <summary>Wide enough that the normalise and reduction passes split into parts at batch 64 (64 × 1035 values).</summary>
[FusedPipeline(40)]
[Linear(1035, Bias = false)]
[BatchNorm]
[Maxout(3)]
[Linear(7)]
public partial class WideLinearBnMaxout
{
}

/// <summary>Linear→BatchNorm→Maxout(3): the Maxout rides the normalise pass.</summary>
[FusedPipeline(13)]
[Linear(24, Bias = false)]
[BatchNorm]
[Maxout(3)]
public partial class LinearBnMaxoutFused
{
}

/// <summary>Linear→BatchNorm→Identity→Maxout(3): the group has an activation of its own, so the Maxout keeps its own passes.</summary>
[FusedPipeline(13)]
[Linear(24, Bias = false)]
[BatchNorm]
[Identity]
[Maxout(3)]
public partial class LinearBnMaxoutUnfused
{
}

/// <summary>A grid conv (3×4 output, Maxout(2)), then a strided conv to 10×1×1 with BatchNorm and Maxout(5), then a head.</summary>
[FusedPipeline(3, 3, 4)]
[Conv2d(6, 3, Padding = 1, Bias = false)]
[BatchNorm]
[Maxout(2)]
[Conv2d(10, 3, Stride = 2, Bias = false)]
[BatchNorm]
[Maxout(5)]
[Flatten]
[Linear(3)]
public partial class ConvBn1x1MaxoutNet
{
}

/// <summary>A grid conv to 12×1×1, BatchNorm, Maxout(3), then a head.</summary>
[FusedPipeline(3, 3, 3)]
[Conv2d(12, 3, Bias = false)]
[BatchNorm]
[Maxout(3)]
[Flatten]
[Linear(2)]
public partial class ConvBn1x1GridMaxout
{
}

/// <summary>Conv2d to 12×1×1 → BatchNorm → Maxout(4), fused.</summary>
[FusedPipeline(3, 3, 3)]
[Conv2d(12, 3, Bias = false)]
[BatchNorm]
[Maxout(4)]
public partial class ConvBn1x1MaxoutFused
{
}

/// <summary>Conv2d to 12×1×1 → BatchNorm → Identity → Maxout(4): the Maxout keeps its own passes.</summary>
[FusedPipeline(3, 3, 3)]
[Conv2d(12, 3, Bias = false)]
[BatchNorm]
[Identity]
[Maxout(4)]
public partial class ConvBn1x1MaxoutUnfused
{
}
#pragma warning disable FOPS0015 // intended: 1032 output channels, more than the register blocks unroll

/// <summary>Wide enough (64 × 1032 values) that the normalise and reduction passes split into parts: a 1×1 conv on 1×1 input, Maxout(4).</summary>
[FusedPipeline(3, 1, 1)]
[Conv2d(1032, 1, Bias = false)]
[BatchNorm]
[Maxout(4)]
public partial class ConvBn1x1MaxoutWide
{
}
#pragma warning restore FOPS0015
#pragma warning restore FOPS0013

/// <summary>
/// Maxout after plain Linears with pieces not dividing 16: 3 pieces of 13 outputs (the last, piece-major outputs only), 5 of 20 (one
/// block of 16 and 4 more), 6 of 6, 7 of 19, 20 of 2 (more pieces than a panel), and 7 after a SiLU (inference only: training keeps
/// the Maxout's pass behind the group's activation); a head.
/// </summary>
[FusedPipeline(13)]
[Linear(39)]
[Maxout(3)]
[Linear(100)]
[Maxout(5)]
[Linear(36)]
[Maxout(6)]
[Linear(133)]
[Maxout(7)]
[Linear(40)]
[Maxout(20)]
[Linear(42)]
[SiLU]
[Maxout(7)]
[Linear(5)]
public partial class LinearMaxoutBlocks
{
}

/// <summary>Large enough (about 10 MFLOP at batch 8) for the packed GEMM to split its 49 panels over threads: Linear(771)→Maxout(3).</summary>
[FusedPipeline(784)]
[Linear(771)]
[Maxout(3)]
[Linear(5)]
public partial class WideLinearMaxoutBlocks
{
}
