using FusedOps;

namespace FusedOps.Tests.Pipelines;

// Pipelines with [Save]/[Add]/[Concat], compared with the reference interpreter; sizes avoid multiples of 8.

/// <summary>Same declaration as fixtures/res_identity: a ResNet basic block with an identity shortcut.</summary>
[FusedPipeline(4, 8, 8)]
[Conv2d(6, 3, Padding = 1)]
[BatchNorm]
[ReLU]
[Save("a")]
[Conv2d(6, 3, Padding = 1)]
[BatchNorm]
[ReLU]
[Conv2d(6, 3, Padding = 1)]
[BatchNorm]
[Add("a")]
[ReLU]
public partial class ResIdentity
{
}

/// <summary>A downsampling block: the shortcut goes through a 1×1 Conv2d with stride 2 and a BatchNorm.</summary>
[FusedPipeline(3, 10, 9)]
[Save("b")]
[Conv2d(6, 3, Stride = 2, Padding = 1)]
[BatchNorm]
[ReLU]
[Conv2d(6, 3, Padding = 1)]
[BatchNorm]
[Add("b", Projection = true)]
[ReLU]
public partial class ResProjection
{
}

/// <summary>A branch around a stride-2 block whose Add has no op of its own (it follows the activation).</summary>
[FusedPipeline(4, 11, 12)]
[Save("s")]
[Conv2d(7, 3, Stride = 2, Padding = 1)]
[BatchNorm]
[LeakyReLU(NegativeSlope = 0.2f)]
[Add("s", Projection = true)]
[Flatten]
[Linear(3)]
public partial class StrideBranch
{
}

/// <summary>Channels [current, saved] joined, then a 1×1 Conv2d over both.</summary>
[FusedPipeline(3, 7, 9)]
[Save("x")]
[Conv2d(5, 3, Padding = 1)]
[ReLU]
[Concat("x")]
[Conv2d(4, 1)]
[BatchNorm]
[HardTanh]
public partial class ConcatNet
{
}

/// <summary>Two saves in flight: "a" is still waiting while "b" is saved and used; an Add without BatchNorm.</summary>
[FusedPipeline(3, 7, 6)]
[Save("a")]
[Conv2d(3, 3, Padding = 1)]
[ReLU]
[Save("b")]
[Conv2d(3, 3, Padding = 1)]
[BatchNorm]
[Add("a")]
[ReLU]
[Conv2d(3, 3, Padding = 1)]
[Add("b")]
public partial class TwoSaves
{
}

// BatchNorm1d: FOPS0013 warns that training needs a batch of at least 2; these tests use larger batches.
#pragma warning disable FOPS0013

/// <summary>An Add after a Linear (the residual MLP block), and a Concat of vectors.</summary>
[FusedPipeline(13)]
[Save("h")]
[Linear(13)]
[BatchNorm]
[ReLU]
[Linear(13)]
[Add("h")]
[ReLU]
[Save("z")]
[Linear(5)]
[Concat("z")]
[Linear(3)]
public partial class LinearResidual
{
}
