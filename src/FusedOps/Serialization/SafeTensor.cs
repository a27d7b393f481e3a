using System;
using static System.FormattableString;

namespace FusedOps.Serialization;

/// <summary>
/// One tensor of a <see cref="SafeTensorsFile"/>: its name, dtype, shape and raw little-endian
/// bytes, validated when the file was read. Convert it with <see cref="ToSingle"/>,
/// <see cref="ToDouble"/> or <see cref="CopyTo(Span{float})"/>.
/// </summary>
public sealed class SafeTensor
{
    private readonly int[] _shape;
    private readonly SafeTensorsDType _dtype;

    internal SafeTensor(string name, string dtypeName, SafeTensorsDType dtype, int[] shape, long elementCount, ReadOnlyMemory<byte> data)
    {
        Name = name;
        DType = dtypeName;
        _dtype = dtype;
        _shape = shape;
        ElementCount = elementCount;
        RawData = data;
    }

    /// <summary>The tensor's key in the file, e.g. <c>"0.weight"</c>.</summary>
    public string Name { get; }

    /// <summary>The dtype as the file spells it: <c>"F32"</c>, <c>"F64"</c>, <c>"F16"</c>, <c>"BF16"</c>, <c>"I64"</c>, <c>"U8"</c>, <c>"BOOL"</c>, ...</summary>
    public string DType { get; }

    /// <summary>The shape (a new copy on every call); empty for a scalar.</summary>
    public int[] Shape => (int[])_shape.Clone();

    /// <summary>The shape as PyTorch prints it, e.g. <c>[8, 3, 3, 3]</c>.</summary>
    public string ShapeText => Parameter.FormatShape(_shape);

    /// <summary>Number of elements: the product of <see cref="Shape"/> (1 for a scalar).</summary>
    public long ElementCount { get; }

    /// <summary>The tensor's bytes in the file, little-endian, <see cref="ElementCount"/> × the dtype's size long.</summary>
    public ReadOnlyMemory<byte> RawData { get; }

    internal ReadOnlySpan<int> ShapeSpan => _shape;

    /// <summary>The values converted to <see cref="float"/> (each rounded once, as a PyTorch dtype cast).</summary>
    /// <exception cref="InvalidOperationException">The tensor has more elements than an array can hold.</exception>
    public float[] ToSingle()
    {
        var result = new float[CheckedArrayLength()];
        SafeTensorsDTypes.Decode(_dtype, RawData.Span, result.AsSpan());
        return result;
    }

    /// <summary>The values converted to <see cref="double"/> (exact for every dtype but I64 and U64 beyond 2^53).</summary>
    /// <exception cref="InvalidOperationException">The tensor has more elements than an array can hold.</exception>
    public double[] ToDouble()
    {
        var result = new double[CheckedArrayLength()];
        SafeTensorsDTypes.Decode(_dtype, RawData.Span, result.AsSpan());
        return result;
    }

    /// <summary>Converts the values to <see cref="float"/> into <paramref name="destination"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="destination"/>'s length is not <see cref="ElementCount"/>.</exception>
    public void CopyTo(Span<float> destination)
    {
        CheckDestination(destination.Length);
        SafeTensorsDTypes.Decode(_dtype, RawData.Span, destination);
    }

    /// <summary>Converts the values to <see cref="double"/> into <paramref name="destination"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="destination"/>'s length is not <see cref="ElementCount"/>.</exception>
    public void CopyTo(Span<double> destination)
    {
        CheckDestination(destination.Length);
        SafeTensorsDTypes.Decode(_dtype, RawData.Span, destination);
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Name} {DType} {ShapeText}";

    private int CheckedArrayLength() => ElementCount <= Array.MaxLength
        ? (int)ElementCount
        : throw new InvalidOperationException(Invariant($"Tensor '{Name}' has {ElementCount} elements, more than an array can hold ({Array.MaxLength})."));

    private void CheckDestination(int length)
    {
        if (length != ElementCount)
        {
            throw new ArgumentException(Invariant($"Destination for tensor '{Name}' {ShapeText} must hold {ElementCount} elements, got {length}."), "destination");
        }
    }
}
