using FusedOps;

namespace FusedOps.Benchmarks;

/// <summary>The case: one Conv2d 16→32 3×3 (padding 1) + BatchNorm + ReLU block on 32×32 images.</summary>
[FusedPipeline(16, 32, 32)]
[Conv2d(32, 3, Padding = 1)]
[BatchNorm]
[ReLU]
public partial class ConvBnReluBlock
{
}

/// <summary>The two-block CNN of samples/FusedOps.Samples.Shapes (16×16 grey images, 4 classes).</summary>
[FusedPipeline(1, 16, 16)]
[Conv2d(8, 3, Padding = 1)]
[BatchNorm]
[ReLU]
[Conv2d(16, 3, Stride = 2, Padding = 1)]
[BatchNorm]
[ReLU]
[Flatten]
[Linear(4)]
public partial class TwoBlockCnn
{
}
