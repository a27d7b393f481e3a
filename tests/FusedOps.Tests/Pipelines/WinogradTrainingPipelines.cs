using FusedOps;

namespace FusedOps.Tests.Pipelines;

/// <summary>
/// Two 3×3 same convolutions on even planes that the training forward runs on Winograd F(2×2, 3×3): the second's input gradient
/// (40 → 32 channels; 40 is not a multiple of the kernel's 16) too, and the first's (the caller's input gradient). Rows of 20:
/// output tiles of 2 × 2 that are not whole vectors. The second conv has no bias.
/// </summary>
[FusedPipeline(32, 20, 20)]
[Conv2d(32, 3, Padding = 1)]
[BatchNorm]
[ReLU]
[Conv2d(40, 3, Padding = 1, Bias = false)]
[BatchNorm]
[ReLU]
public partial class WinogradPair
{
}

/// <summary>
/// The Fashion-MNIST network's residual block on a smaller plane, then a convolution with no BatchNorm whose activation runs in
/// the conv's epilogue (the Winograd forward's output taken by the epilogue, no channel sums).
/// </summary>
[FusedPipeline(32, 20, 24)]
[Save("a")]
[Conv2d(32, 3, Padding = 1)]
[BatchNorm]
[ReLU]
[Conv2d(32, 3, Padding = 1)]
[BatchNorm]
[Add("a")]
[ReLU]
[Conv2d(32, 3, Padding = 1)]
[SiLU]
public partial class WinogradResidual
{
}

/// <summary>Odd planes (23 × 19): the last tile row and column of each plane are half used.</summary>
[FusedPipeline(32, 23, 19)]
[Conv2d(33, 3, Padding = 1)]
[BatchNorm]
[ReLU]
public partial class WinogradOdd
{
}

/// <summary>
/// The Fashion-MNIST network's 16-channel convolutions on its 28 × 28 plane, then case B's 16 → 32: the products with 16 input or
/// output channels that run on WinogradConv's tiles-in-lanes block (16 → 16 both ways, 16 → 32 forward and 32 → 16 input gradient).
/// </summary>
[FusedPipeline(16, 28, 28)]
[Conv2d(16, 3, Padding = 1)]
[BatchNorm]
[ReLU]
[Conv2d(32, 3, Padding = 1, Bias = false)]
[BatchNorm]
[ReLU]
public partial class WinogradNarrow
{
}

/// <summary>
/// Rows of 17 tiles (10 × 34): the training route at 256 bits too (<c>WinogradConv.TrainingRuns</c>: 16 tiles a row and more),
/// the second 16-tile block of each row one tile; 16 → 32 forward and 32 → 16 input gradient, then 32 → 32 without a bias.
/// </summary>
[FusedPipeline(16, 10, 34)]
[Conv2d(32, 3, Padding = 1)]
[BatchNorm]
[ReLU]
[Conv2d(32, 3, Padding = 1, Bias = false)]
[BatchNorm]
[ReLU]
public partial class WinogradWide
{
}
