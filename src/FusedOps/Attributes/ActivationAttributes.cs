using System;
using FusedOps.Catalog;

namespace FusedOps;

/// <summary>Activation: x.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class IdentityAttribute : LayerAttribute
{
}

/// <summary>Activation: max(0, x).</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class ReLUAttribute : LayerAttribute
{
}

/// <summary>Activation: x > 0 ? x : a·x.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class LeakyReLUAttribute : LayerAttribute
{
    /// <summary>Slope for negative inputs. Default 0.01.</summary>
    public float NegativeSlope { get; set; } = LayerFacts.LeakyReluSlope;
}

/// <summary>Activation: LeakyReLU with a learnable slope, state <c>{i}.weight</c> <c>[NumParameters]</c>.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class PReLUAttribute : LayerAttribute
{
    /// <summary>1, or the channel count for one slope per channel. Default 1.</summary>
    public int NumParameters { get; set; } = 1;

    /// <summary>Initial slope. Default 0.25.</summary>
    public float Init { get; set; } = LayerFacts.PReluInit;
}

/// <summary>Activation: randomised leaky ReLU: slope from U(Lower, Upper) in training, (Lower+Upper)/2 in inference.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class RReLUAttribute : LayerAttribute
{
    /// <summary>Default 1/8.</summary>
    public float Lower { get; set; } = LayerFacts.RReluLower;

    /// <summary>Default 1/3.</summary>
    public float Upper { get; set; } = LayerFacts.RReluUpper;
}

/// <summary>Activation: x > 0 ? x : α(eˣ−1).</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class ELUAttribute : LayerAttribute
{
    /// <summary>Default 1.</summary>
    public float Alpha { get; set; } = LayerFacts.One;
}

/// <summary>Activation: λ·ELU(x, α) with PyTorch's constants.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class SELUAttribute : LayerAttribute
{
}

/// <summary>Activation: x·Φ(x); the tanh form when Approximate.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class GELUAttribute : LayerAttribute
{
    /// <summary>Use the tanh approximation. Default false.</summary>
    public bool Approximate { get; set; }
}

/// <summary>Activation: σ(x).</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class SigmoidAttribute : LayerAttribute
{
}

/// <summary>Activation: tanh(x).</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class TanhAttribute : LayerAttribute
{
}

/// <summary>Activation: atan(x).</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class ArcTanAttribute : LayerAttribute
{
}

/// <summary>Activation: x/(1+|x|).</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class SoftsignAttribute : LayerAttribute
{
}

/// <summary>Activation: x·σ(x).</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class SiLUAttribute : LayerAttribute
{
}

/// <summary>Activation: x·σ(βx).</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class SwishAttribute : LayerAttribute
{
    /// <summary>Default 1.</summary>
    public float Beta { get; set; } = LayerFacts.One;
}

/// <summary>Activation: x·tanh(softplus(x)).</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class MishAttribute : LayerAttribute
{
}

/// <summary>Activation: (1/β)·log(1+e^{βx}); x when βx &gt; Threshold.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class SoftplusAttribute : LayerAttribute
{
    /// <summary>Default 1.</summary>
    public float Beta { get; set; } = LayerFacts.One;

    /// <summary>Default 20.</summary>
    public float Threshold { get; set; } = LayerFacts.SoftplusThreshold;
}

/// <summary>Activation: relu6(x+3)/6.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class HardSigmoidAttribute : LayerAttribute
{
}

/// <summary>Activation: x·relu6(x+3)/6.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class HardSwishAttribute : LayerAttribute
{
}

/// <summary>Activation: clamp(x, Min, Max).</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class HardTanhAttribute : LayerAttribute
{
    /// <summary>Default −1.</summary>
    public float Min { get; set; } = LayerFacts.HardTanhMin;

    /// <summary>Default 1.</summary>
    public float Max { get; set; } = LayerFacts.HardTanhMax;
}

/// <summary>Activation: x/√(1+αx²).</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class IsruAttribute : LayerAttribute
{
    /// <summary>Default 1.</summary>
    public float Alpha { get; set; } = LayerFacts.One;
}

/// <summary>Activation: x for x ≥ 0, else x/√(1+αx²).</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class IsrluAttribute : LayerAttribute
{
    /// <summary>Default 1.</summary>
    public float Alpha { get; set; } = LayerFacts.One;
}

/// <summary>Activation: SQNL.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class SquareNonlinearityAttribute : LayerAttribute
{
}

/// <summary>Activation: x ≥ 0 ? 1 : 0; derivative 0.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class BinaryStepAttribute : LayerAttribute
{
}

/// <summary>
/// Bipolar ReLU (Eidnes and Nøkland 2018): ReLU(x) on even channels (features), −ReLU(−x) on odd
/// ones, so that half the units keep negative values.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class BipolarReLUAttribute : LayerAttribute
{
}
