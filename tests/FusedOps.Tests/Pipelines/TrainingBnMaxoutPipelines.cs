using FusedOps;

namespace FusedOps.Tests.Pipelines;

// Maxout after Conv2d → BatchNorm (the conv group with no activation or Add of its own): the Maxout rides BatchNorm's normalise
// pass and its reduction pass. No bias before the BatchNorms: its gradient is zero up to rounding, which a relative check cannot judge.

/// <summary>A grid conv (pieces 2) and a strided conv (pieces 3) on odd shapes, then a Linear.</summary>
[FusedPipeline(3, 7, 9)]
[Conv2d(8, 3, Padding = 1, Bias = false)]
[BatchNorm]
[Maxout(2)]
[Conv2d(6, 3, Stride = 2, Bias = false)]
[BatchNorm]
[Maxout(3)]
[Flatten]
[Linear(3)]
public partial class ConvBnMaxoutNet
{
}

/// <summary>Large enough (over 64 K values per pass at 61 samples) for the normalise and reduction passes to split into parts.</summary>
[FusedPipeline(3, 13, 11)]
[Conv2d(12, 3, Padding = 1, Bias = false)]
[BatchNorm]
[Maxout(3)]
[Conv2d(10, 3, Padding = 1, Bias = false)]
[BatchNorm]
[Maxout(2)]
public partial class ConvBnMaxoutWide
{
}

/// <summary>Conv→BatchNorm→Maxout(2), fused.</summary>
[FusedPipeline(3, 7, 9)]
[Conv2d(6, 3, Padding = 1)]
[BatchNorm]
[Maxout(2)]
public partial class ConvBnMaxoutFused
{
}

/// <summary>Conv→BatchNorm→Identity→Maxout(2): the group has an activation of its own, so the Maxout keeps its own passes.</summary>
[FusedPipeline(3, 7, 9)]
[Conv2d(6, 3, Padding = 1)]
[BatchNorm]
[Identity]
[Maxout(2)]
public partial class ConvBnMaxoutUnfused
{
}
