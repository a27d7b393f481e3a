using FusedOps;

namespace FusedOps.Samples.FashionMnist;

// The network, in one file so it can be swapped. The target network (issue 8) is
//
//   [Conv2d(16, 3, Padding = 1)] [BatchNorm] [ReLU] [Save("a")]
//   [Conv2d(16, 3, Padding = 1)] [BatchNorm] [ReLU] [Conv2d(16, 3, Padding = 1)] [BatchNorm] [Add("a")] [ReLU]
//   [MaxPool2d(2)] [Conv2d(32, 3, Padding = 1)] [BatchNorm] [ReLU] [MaxPool2d(2)]
//   [Flatten] [Linear(128)] [ReLU] [Dropout(P = 0.25f)] [Linear(10)]
//
// The generator does not emit Save/Add, MaxPool2d or Dropout yet, so until it does this is the
// closest network it supports: the residual pair becomes two plain blocks and each MaxPool2d(2)
// a stride-2 convolution (same output sizes: 28 → 14 → 7).

/// <summary>A small CNN for 28×28 grey Fashion-MNIST images, 10 classes.</summary>
[FusedPipeline(1, 28, 28)]
[Conv2d(16, 3, Padding = 1)]              // 16×28×28
[BatchNorm]
[ReLU]
[Conv2d(16, 3, Padding = 1)]              // 16×28×28
[BatchNorm]
[ReLU]
[Conv2d(32, 3, Stride = 2, Padding = 1)]  // 32×14×14 (for MaxPool2d(2) + Conv2d(32, 3))
[BatchNorm]
[ReLU]
[Conv2d(32, 3, Stride = 2, Padding = 1)]  // 32×7×7 (for the second MaxPool2d(2))
[BatchNorm]
[ReLU]
[Flatten]                                 // 1568
[Linear(128)]
[ReLU]
[Linear(10)]                              // class scores (logits)
public partial class FashionNet
{
}
