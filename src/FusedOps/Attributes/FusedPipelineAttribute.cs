using System;

namespace FusedOps;

/// <summary>
/// Marks a <c>partial</c> class as a FusedOps pipeline and gives the per-sample input shape:
/// <c>(features)</c> or <c>(channels, height, width)</c>. The layer attributes on the same
/// declaration, in source order, form the pipeline.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class FusedPipelineAttribute : Attribute
{
    /// <summary>Declares a pipeline whose samples have the given shape.</summary>
    public FusedPipelineAttribute(params int[] inputShape) => InputShape = inputShape;

    /// <summary>Per-sample input shape.</summary>
    public int[] InputShape { get; }
}

/// <summary>Base class of every layer attribute; the reference interpreter takes a list of these.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public abstract class LayerAttribute : Attribute
{
}
