using FusedOps;

namespace FusedOps.Benchmarks;

/// <summary>Case B: Conv2d 16→32 3×3 (padding 1) + BatchNorm + ReLU on 32×32 images (batch 8).</summary>
[FusedPipeline(16, 32, 32)]
[Conv2d(32, 3, Padding = 1)]
[BatchNorm]
[ReLU]
public partial class ConvBnReluBlock
{
}

/// <summary>Case C: Conv2d 64→64 3×3 (padding 1) + BatchNorm + ReLU on 56×56 images (batch 1).</summary>
[FusedPipeline(64, 56, 56)]
[Conv2d(64, 3, Padding = 1)]
[BatchNorm]
[ReLU]
public partial class WideConvBlock
{
}

// FOPS0013 warns that BatchNorm after a Linear trains only with batches of 2 or more: the cases train with 16 and 64.
#pragma warning disable FOPS0013

/// <summary>Case S1: Linear 64→32 + BatchNorm + ReLU (batch 16).</summary>
[FusedPipeline(64)]
[Linear(32)]
[BatchNorm]
[ReLU]
public partial class SmallLinearBlock
{
}

/// <summary>Case S2: Conv2d 8→8 3×3 (padding 1) + BatchNorm + ReLU on 16×16 images (batch 1).</summary>
[FusedPipeline(8, 16, 16)]
[Conv2d(8, 3, Padding = 1)]
[BatchNorm]
[ReLU]
public partial class SmallConvBlock
{
}

/// <summary>Case M: Linear 784→256 + BatchNorm + ReLU → Linear 10 (batch 64), an MNIST-sized MLP.</summary>
[FusedPipeline(784)]
[Linear(256)]
[BatchNorm]
[ReLU]
[Linear(10)]
public partial class MnistMlp
{
}

#pragma warning restore FOPS0013

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
