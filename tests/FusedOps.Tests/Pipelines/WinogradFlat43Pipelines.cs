using FusedOps;

namespace FusedOps.Tests.Pipelines;

/// <summary>
/// The Fashion-MNIST network's 16 → 32 convolution on its 14 × 14 plane (rows of 4 F(4 × 4, 3 × 3) tiles), after a 16 → 16 one on
/// the same plane: at 256 bits both forwards and the second's input gradient (32 → 16) run F(4 × 4, 3 × 3) with two tile rows a
/// vector (Conv2dTrainer.Flat43Enabled), the weight gradients on the grid.
/// </summary>
[FusedPipeline(16, 14, 14)]
[Conv2d(16, 3, Padding = 1)]
[BatchNorm]
[ReLU]
[Conv2d(32, 3, Padding = 1, Bias = false)]
[BatchNorm]
[ReLU]
public partial class WinogradFlat43
{
}
