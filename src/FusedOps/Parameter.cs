using System;

namespace FusedOps;

/// <summary>
/// One named tensor of a model's state: a learnable parameter (with a gradient) or a buffer
/// such as a running mean (without). Data is row-major in PyTorch's layout.
/// </summary>
public sealed class Parameter
{
    /// <summary>Creates a zero-filled tensor.</summary>
    /// <param name="name">State-dict key, e.g. <c>"0.weight"</c>.</param>
    /// <param name="shape">Shape in PyTorch's layout; every dimension at least 1.</param>
    /// <param name="hasGrad">True for learnable parameters, false for buffers.</param>
    public Parameter(string name, int[] shape, bool hasGrad)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(shape);
        long length = 1;
        foreach (int d in shape)
        {
            if (d < 1)
            {
                throw new ArgumentException($"Shape of '{name}' must have every dimension >= 1, got [{string.Join(", ", shape)}].", nameof(shape));
            }

            length *= d;
        }

        if (length > Array.MaxLength)
        {
            throw new ArgumentException($"Shape of '{name}' has {length} elements, more than an array can hold.", nameof(shape));
        }

        Name = name;
        Shape = (int[])shape.Clone();
        Data = new float[length];
        Grad = hasGrad ? new float[length] : Array.Empty<float>();
    }

    /// <summary>State-dict key, e.g. <c>"1.running_mean"</c>.</summary>
    public string Name { get; }

    /// <summary>Shape in PyTorch's layout.</summary>
    public int[] Shape { get; }

    /// <summary>Values, row-major; length is the product of <see cref="Shape"/>.</summary>
    public float[] Data { get; }

    /// <summary>Accumulated gradient, same length as <see cref="Data"/>; empty for buffers.</summary>
    public float[] Grad { get; }

    /// <summary>Whether this tensor is learnable (has a gradient).</summary>
    public bool HasGrad => Grad.Length == Data.Length && Data.Length > 0;

    /// <summary>Number of elements.</summary>
    public int Length => Data.Length;

    /// <summary>The shape as PyTorch prints it, e.g. <c>[16, 3, 3, 3]</c>.</summary>
    public string ShapeText => FormatShape(Shape);

    /// <inheritdoc/>
    public override string ToString() => $"{Name} {ShapeText}";

    internal static string FormatShape(ReadOnlySpan<int> shape)
    {
        var parts = new string[shape.Length];
        for (int i = 0; i < shape.Length; i++)
        {
            parts[i] = shape[i].ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return "[" + string.Join(", ", parts) + "]";
    }
}
