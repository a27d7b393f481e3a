using FusedOps;

namespace FusedOps.Tests.Pipelines;

// Every activation of API.md at least once, each pipeline with one activation in a Conv2d or Linear
// group (the Conv2d epilogue in inference, the elementwise pass in training) and one on its own (a
// separate elementwise pass). Sizes avoid multiples of 8 so every vector width has a scalar tail.
#pragma warning disable FOPS0013 // BatchNorm1d: the tests train with batches of at least 2.

[FusedPipeline(3, 9, 11)]
[Conv2d(5, 3, Padding = 1)]
[BatchNorm]
[ELU(Alpha = 0.7f)]
[Conv2d(4, 3)]
[SELU]
public partial class ConvEluSelu
{
}

[FusedPipeline(23)]
[Linear(17)]
[GELU]
[Linear(9, Bias = false)] // before BatchNorm a bias's gradient is 0 analytically, float noise in practice
[BatchNorm]
[GELU(Approximate = true)]
[Sigmoid]
public partial class MlpGeluSigmoid
{
}

[FusedPipeline(2, 7, 9)]
[Conv2d(6, 3, Padding = 1)]
[Tanh]
[ArcTan]
[Conv2d(5, 1)]
[BatchNorm]
[Softsign]
public partial class ConvTanhArcTanSoftsign
{
}

[FusedPipeline(21)]
[Linear(19)]
[SiLU]
[Swish(Beta = 1.5f)]
[Linear(11)]
[Mish]
public partial class MlpSiluSwishMish
{
}

[FusedPipeline(4, 5, 13)]
[Conv2d(7, 3, Padding = 1)]
[Softplus(Beta = 2f, Threshold = 1.5f)]
[Flatten]
[Linear(12)]
[HardSigmoid]
[HardSwish]
public partial class ConvSoftplusHard
{
}

[FusedPipeline(3, 6, 10)]
[Conv2d(5, 3)]
[Isru(Alpha = 0.5f)]
[Conv2d(6, 1)]
[BatchNorm]
[Isrlu(Alpha = 2f)]
[Flatten]
[Linear(7)]
[SquareNonlinearity]
public partial class ConvIsruSqnl
{
}

/// <summary>BinaryStep's derivative is 0: every gradient before it is 0, which the comparison checks too.</summary>
[FusedPipeline(17)]
[Linear(9)]
[BinaryStep]
[Linear(5)]
[Tanh]
public partial class MlpBinaryStep
{
}
