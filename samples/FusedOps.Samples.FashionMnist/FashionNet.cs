using FusedOps;

namespace FusedOps.Samples.FashionMnist;

// The network, in one file so it can be swapped: a residual pair of Conv2d → BatchNorm blocks, two
// MaxPool2d(2) stages (28 → 14 → 7) and a Linear head with Dropout.

/// <summary>A small residual CNN for 28×28 grey Fashion-MNIST images, 10 classes.</summary>
[FusedPipeline(1, 28, 28)]
[Conv2d(16, 3, Padding = 1)]              // 16×28×28
[BatchNorm]
[ReLU]
[Save("a")]
[Conv2d(16, 3, Padding = 1)]
[BatchNorm]
[ReLU]
[Conv2d(16, 3, Padding = 1)]
[BatchNorm]
[Add("a")]                                // the identity shortcut, added in the convolution's epilogue
[ReLU]
[MaxPool2d(2)]                            // 16×14×14
[Conv2d(32, 3, Padding = 1)]              // 32×14×14
[BatchNorm]
[ReLU]
[MaxPool2d(2)]                            // 32×7×7
[Flatten]                                 // 1568
[Linear(128)]
[ReLU]
[Dropout(P = 0.25f)]
[Linear(10)]                              // class scores (logits)
public partial class FashionNet
{
}
