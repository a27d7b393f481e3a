using System;
using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.InteropServices;

namespace FusedOps.Serialization;

/// <summary>The element types of the safetensors format that this reader can convert to numbers.</summary>
internal enum SafeTensorsDType
{
    Bool,
    U8,
    I8,
    F8E5M2,
    F8E4M3,
    I16,
    U16,
    F16,
    BF16,
    I32,
    U32,
    F32,
    F64,
    I64,
    U64,
}

/// <summary>Names, sizes and little-endian decoding of <see cref="SafeTensorsDType"/>.</summary>
internal static class SafeTensorsDTypes
{
    /// <summary>The dtype names this reader accepts, as they appear in a header.</summary>
    public const string KnownNames = "BOOL, U8, I8, F8_E5M2, F8_E4M3, I16, U16, F16, BF16, I32, U32, F32, F64, I64, U64";

    public static bool TryParse(string name, out SafeTensorsDType dtype)
    {
        // Exact, case-sensitive names, as the reference implementation spells them.
        switch (name)
        {
            case "BOOL": dtype = SafeTensorsDType.Bool; return true;
            case "U8": dtype = SafeTensorsDType.U8; return true;
            case "I8": dtype = SafeTensorsDType.I8; return true;
            case "F8_E5M2": dtype = SafeTensorsDType.F8E5M2; return true;
            case "F8_E4M3": dtype = SafeTensorsDType.F8E4M3; return true;
            case "I16": dtype = SafeTensorsDType.I16; return true;
            case "U16": dtype = SafeTensorsDType.U16; return true;
            case "F16": dtype = SafeTensorsDType.F16; return true;
            case "BF16": dtype = SafeTensorsDType.BF16; return true;
            case "I32": dtype = SafeTensorsDType.I32; return true;
            case "U32": dtype = SafeTensorsDType.U32; return true;
            case "F32": dtype = SafeTensorsDType.F32; return true;
            case "F64": dtype = SafeTensorsDType.F64; return true;
            case "I64": dtype = SafeTensorsDType.I64; return true;
            case "U64": dtype = SafeTensorsDType.U64; return true;
            default: dtype = default; return false;
        }
    }

    /// <summary>Bytes per element.</summary>
    public static int Size(SafeTensorsDType dtype) => dtype switch
    {
        SafeTensorsDType.Bool or SafeTensorsDType.U8 or SafeTensorsDType.I8
            or SafeTensorsDType.F8E5M2 or SafeTensorsDType.F8E4M3 => 1,
        SafeTensorsDType.I16 or SafeTensorsDType.U16 or SafeTensorsDType.F16 or SafeTensorsDType.BF16 => 2,
        SafeTensorsDType.I32 or SafeTensorsDType.U32 or SafeTensorsDType.F32 => 4,
        _ => 8,
    };

    /// <summary>
    /// Converts little-endian elements of <paramref name="dtype"/> to <typeparamref name="T"/>
    /// (float or double). Each value is converted directly to the target type, so it is rounded
    /// once, as a PyTorch dtype cast rounds it.
    /// </summary>
    public static void Decode<T>(SafeTensorsDType dtype, ReadOnlySpan<byte> source, Span<T> destination)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        switch (dtype)
        {
            case SafeTensorsDType.F32 when typeof(T) == typeof(float) && BitConverter.IsLittleEndian:
                MemoryMarshal.Cast<byte, T>(source).CopyTo(destination);
                break;
            case SafeTensorsDType.F64 when typeof(T) == typeof(double) && BitConverter.IsLittleEndian:
                MemoryMarshal.Cast<byte, T>(source).CopyTo(destination);
                break;
            case SafeTensorsDType.Bool:
                for (int i = 0; i < destination.Length; i++)
                {
                    destination[i] = source[i] != 0 ? T.One : T.Zero;
                }

                break;
            case SafeTensorsDType.U8:
                for (int i = 0; i < destination.Length; i++)
                {
                    destination[i] = T.CreateTruncating(source[i]);
                }

                break;
            case SafeTensorsDType.I8:
                for (int i = 0; i < destination.Length; i++)
                {
                    destination[i] = T.CreateTruncating((sbyte)source[i]);
                }

                break;
            case SafeTensorsDType.F8E5M2:
                // E5M2 is the upper byte of an IEEE half: exact.
                for (int i = 0; i < destination.Length; i++)
                {
                    destination[i] = T.CreateTruncating(BitConverter.UInt16BitsToHalf((ushort)(source[i] << 8)));
                }

                break;
            case SafeTensorsDType.F8E4M3:
                for (int i = 0; i < destination.Length; i++)
                {
                    destination[i] = T.CreateTruncating(Float8E4M3ToSingle(source[i]));
                }

                break;
            case SafeTensorsDType.I16:
                for (int i = 0; i < destination.Length; i++)
                {
                    destination[i] = T.CreateTruncating(BinaryPrimitives.ReadInt16LittleEndian(source.Slice(2 * i)));
                }

                break;
            case SafeTensorsDType.U16:
                for (int i = 0; i < destination.Length; i++)
                {
                    destination[i] = T.CreateTruncating(BinaryPrimitives.ReadUInt16LittleEndian(source.Slice(2 * i)));
                }

                break;
            case SafeTensorsDType.F16:
                for (int i = 0; i < destination.Length; i++)
                {
                    destination[i] = T.CreateTruncating(BinaryPrimitives.ReadHalfLittleEndian(source.Slice(2 * i)));
                }

                break;
            case SafeTensorsDType.BF16:
                // bfloat16 is the upper half of an IEEE single: exact.
                for (int i = 0; i < destination.Length; i++)
                {
                    uint bits = (uint)BinaryPrimitives.ReadUInt16LittleEndian(source.Slice(2 * i)) << 16;
                    destination[i] = T.CreateTruncating(BitConverter.UInt32BitsToSingle(bits));
                }

                break;
            case SafeTensorsDType.I32:
                for (int i = 0; i < destination.Length; i++)
                {
                    destination[i] = T.CreateTruncating(BinaryPrimitives.ReadInt32LittleEndian(source.Slice(4 * i)));
                }

                break;
            case SafeTensorsDType.U32:
                for (int i = 0; i < destination.Length; i++)
                {
                    destination[i] = T.CreateTruncating(BinaryPrimitives.ReadUInt32LittleEndian(source.Slice(4 * i)));
                }

                break;
            case SafeTensorsDType.F32:
                for (int i = 0; i < destination.Length; i++)
                {
                    destination[i] = T.CreateTruncating(BinaryPrimitives.ReadSingleLittleEndian(source.Slice(4 * i)));
                }

                break;
            case SafeTensorsDType.F64:
                for (int i = 0; i < destination.Length; i++)
                {
                    destination[i] = T.CreateTruncating(BinaryPrimitives.ReadDoubleLittleEndian(source.Slice(8 * i)));
                }

                break;
            case SafeTensorsDType.I64:
                for (int i = 0; i < destination.Length; i++)
                {
                    destination[i] = T.CreateTruncating(BinaryPrimitives.ReadInt64LittleEndian(source.Slice(8 * i)));
                }

                break;
            case SafeTensorsDType.U64:
                for (int i = 0; i < destination.Length; i++)
                {
                    destination[i] = T.CreateTruncating(BinaryPrimitives.ReadUInt64LittleEndian(source.Slice(8 * i)));
                }

                break;
            default:
                throw new InvalidOperationException($"Unhandled dtype {dtype}.");
        }
    }

    /// <summary>
    /// float8 e4m3fn (PyTorch's <c>float8_e4m3fn</c>): bias 7, no infinities, S.1111.111 is NaN.
    /// </summary>
    internal static float Float8E4M3ToSingle(byte b)
    {
        int exponent = (b >> 3) & 0xF;
        int mantissa = b & 0x7;
        float magnitude = exponent == 0xF && mantissa == 0x7
            ? float.NaN
            : exponent == 0
                ? mantissa * (1f / 512f) // subnormal: mantissa/8 · 2^-6
                : (8 + mantissa) * MathF.ScaleB(1f, exponent - 10); // (1 + m/8) · 2^(e-7)
        return (b & 0x80) != 0 ? -magnitude : magnitude;
    }
}
