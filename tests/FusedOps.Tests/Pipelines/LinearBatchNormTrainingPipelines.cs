using FusedOps;

namespace FusedOps.Tests.Pipelines;

// Linear→BatchNorm groups whose next layer's PReLU, RReLU or BipolarReLU rides the BatchNorm normalise pass in training, and its
// derivative the BatchNorm reduction pass. No bias before a BatchNorm: its gradient is zero up to rounding, which a relative check
// cannot judge. No PReLU sits at an index ending in 0: the shared test perturbs every 1-d parameter except "…0.weight".
// FOPS0013 warns that BatchNorm after a Linear trains only with batches of 2 or more; the shared test skips training at batch 1.
#pragma warning disable FOPS0013

/// <summary>
/// PReLU per feature after Linear(37)→BN, one slope after Linear(21)→BN, RReLU (slopes drawn per element) after Linear(27)→BN,
/// BipolarReLU after Linear(19)→BN (odd: the last feature is not negated), then a plain head with bias.
/// </summary>
[FusedPipeline(11)]
[Linear(37, Bias = false)]
[BatchNorm]
[PReLU(NumParameters = 37, Init = 0.2f)]
[Linear(21, Bias = false)]
[BatchNorm]
[PReLU]
[Linear(27, Bias = false)]
[BatchNorm]
[RReLU(Lower = 0.1f, Upper = 0.4f)]
[Linear(19, Bias = false)]
[BatchNorm]
[BipolarReLU]
[Linear(5)]
public partial class LinearBnChannelTraining
{
}

/// <summary>Wide enough that the normalise and reduction passes split into parts at batch 64 (64 × 1031 values): PReLU per feature, a head.</summary>
[FusedPipeline(40)]
[Linear(1031, Bias = false)]
[BatchNorm]
[PReLU(NumParameters = 1031)]
[Linear(7)]
public partial class WideLinearBnTraining
{
}

/// <summary>Linear→BatchNorm→RReLU: the RReLU rides the normalise pass.</summary>
[FusedPipeline(13)]
[Linear(23, Bias = false)]
[BatchNorm]
[RReLU(Lower = 0.1f, Upper = 0.4f)]
public partial class LinearBnRReluFused
{
}

/// <summary>Linear→BatchNorm→Identity→RReLU: the group has an activation of its own, so the RReLU keeps its own passes.</summary>
[FusedPipeline(13)]
[Linear(23, Bias = false)]
[BatchNorm]
[Identity]
[RReLU(Lower = 0.1f, Upper = 0.4f)]
public partial class LinearBnRReluUnfused
{
}

/// <summary>Linear→BatchNorm→PReLU(per feature): the PReLU rides the normalise pass.</summary>
[FusedPipeline(13)]
[Linear(23, Bias = false)]
[BatchNorm]
[PReLU(NumParameters = 23, Init = 0.2f)]
public partial class LinearBnPReluFused
{
}

/// <summary>Linear→BatchNorm→Identity→PReLU(per feature): the PReLU keeps its own passes.</summary>
[FusedPipeline(13)]
[Linear(23, Bias = false)]
[BatchNorm]
[Identity]
[PReLU(NumParameters = 23, Init = 0.2f)]
public partial class LinearBnPReluUnfused
{
}
#pragma warning restore FOPS0013
