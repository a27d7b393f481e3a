using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using FusedOps.Serialization;
using Xunit;
using static FusedOps.Tests.Serialization.SafeTensorsBytes;

namespace FusedOps.Tests.Serialization;

public sealed class SafeTensorsReaderTests
{
    [Fact]
    public void Parse_F32Tensor_ReadsNameDTypeShapeAndValues()
    {
        byte[] file = Build("""{"w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]}}""", F32(1f, -2.5f, 3e-3f, float.MaxValue, -0f, 7f));

        SafeTensorsFile st = SafeTensorsFile.Parse(file);

        SafeTensor w = Assert.Single(st.Tensors);
        Assert.Equal("w", w.Name);
        Assert.Equal("F32", w.DType);
        Assert.Equal(new[] { 2, 3 }, w.Shape);
        Assert.Equal(6, w.ElementCount);
        Assert.Equal(24, w.RawData.Length);
        Assert.Equal(new[] { 1f, -2.5f, 3e-3f, float.MaxValue, -0f, 7f }, w.ToSingle());
        Assert.Equal(new[] { 1.0, -2.5, (double)3e-3f, float.MaxValue, -0.0, 7.0 }, w.ToDouble());
        Assert.True(double.IsNegative(w.ToDouble()[4]));
        Assert.Empty(st.Metadata);
    }

    [Fact]
    public void Parse_HeaderOrderDiffersFromDataOrder_KeepsHeaderOrderAndEachTensorsOwnBytes()
    {
        byte[] file = Build(
            """{"z":{"dtype":"F32","shape":[1],"data_offsets":[4,8]},"a":{"dtype":"F64","shape":[],"data_offsets":[8,16]},"m":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""",
            Concat(F32(10f), F32(20f), F64(0.1)));

        SafeTensorsFile st = SafeTensorsFile.Parse(file);

        Assert.Equal(new[] { "z", "a", "m" }, st.Names);
        Assert.Equal(new[] { 20f }, st["z"].ToSingle());
        Assert.Equal(new[] { 10f }, st["m"].ToSingle());
        Assert.Equal(new[] { 0.1 }, st["a"].ToDouble());
        Assert.Equal(new[] { 0.1f }, st["a"].ToSingle());
        Assert.Empty(st["a"].Shape);
        Assert.Equal(1, st["a"].ElementCount);
    }

    [Fact]
    public void Parse_Metadata_IsExposedAsStringMap()
    {
        byte[] file = Build("""{"__metadata__":{"format":"pt","note":"a\nb"},"x":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}""", 9);

        SafeTensorsFile st = SafeTensorsFile.Parse(file);

        Assert.Equal(2, st.Metadata.Count);
        Assert.Equal("pt", st.Metadata["format"]);
        Assert.Equal("a\nb", st.Metadata["note"]);
        Assert.False(st.Contains("__metadata__"));
        Assert.Single(st.Tensors);
    }

    [Fact]
    public void Indexer_UnknownName_ThrowsListingAvailableNames()
    {
        SafeTensorsFile st = SafeTensorsFile.Parse(Build(
            """{"a.weight":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a.bias":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""",
            F32(1f, 2f)));

        var ex = Assert.Throws<KeyNotFoundException>(() => st["b.weight"]);

        Assert.Contains("'b.weight'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("a.weight, a.bias", ex.Message, StringComparison.Ordinal);
        Assert.False(st.TryGet("b.weight", out _));
        Assert.True(st.TryGet("a.bias", out SafeTensor? bias));
        Assert.Equal(new[] { 2f }, bias.ToSingle());
        Assert.True(st.Contains("a.weight"));
        Assert.False(st.Contains("A.weight"));
    }

    [Fact]
    public void Parse_HalfAndBFloat16AndFloat8_DecodeExactly()
    {
        // F16: 1, -2, +inf, smallest subnormal 2^-24, 0.333251953125, NaN
        byte[] f16 = U16(0x3C00, 0xC000, 0x7C00, 0x0001, 0x3555, 0x7E00);
        // BF16: 1, 3.140625, -0, -inf
        byte[] bf16 = U16(0x3F80, 0x4049, 0x8000, 0xFF80);
        // F8_E5M2: 1, -2, +inf, 2^-16 (subnormal)
        byte[] e5m2 = [0x3C, 0xC0, 0x7C, 0x01];
        // F8_E4M3 (fn): 1, 448 (max), 2^-9 (smallest subnormal), -2, NaN, 2^-6 (smallest normal)
        byte[] e4m3 = [0x38, 0x7E, 0x01, 0xC0, 0x7F, 0x08];
        SafeTensorsFile st = SafeTensorsFile.Parse(Build(
            """{"h":{"dtype":"F16","shape":[6],"data_offsets":[0,12]},"b":{"dtype":"BF16","shape":[2,2],"data_offsets":[12,20]},"e5":{"dtype":"F8_E5M2","shape":[4],"data_offsets":[20,24]},"e4":{"dtype":"F8_E4M3","shape":[6],"data_offsets":[24,30]}}""",
            Concat(f16, bf16, e5m2, e4m3)));

        float[] h = st["h"].ToSingle();
        Assert.Equal(new[] { 1f, -2f, float.PositiveInfinity, MathF.ScaleB(1f, -24), 0.333251953125f }, h[..5]);
        Assert.True(float.IsNaN(h[5]));
        Assert.Equal(new[] { 1.0, -2.0, double.PositiveInfinity, Math.ScaleB(1.0, -24), 0.333251953125 }, st["h"].ToDouble()[..5]);

        float[] b = st["b"].ToSingle();
        Assert.Equal(new[] { 1f, 3.140625f, 0f, float.NegativeInfinity }, b);
        Assert.True(float.IsNegative(b[2]));

        Assert.Equal(new[] { 1f, -2f, float.PositiveInfinity, MathF.ScaleB(1f, -16) }, st["e5"].ToSingle());

        float[] e4 = st["e4"].ToSingle();
        Assert.Equal(new[] { 1f, 448f, MathF.ScaleB(1f, -9), -2f }, e4[..4]);
        Assert.True(float.IsNaN(e4[4]));
        Assert.Equal(MathF.ScaleB(1f, -6), e4[5]);
    }

    [Fact]
    public void Parse_IntegerAndBoolTypes_ConvertWithOneRounding()
    {
        // 2^60 + 2^36 + 1: rounded straight to float it is 2^60 + 2^37; rounded through double
        // first it would tie and become 2^60. PyTorch (and we) round once.
        long tricky = (1L << 60) + (1L << 36) + 1;
        byte[] i64 = Concat(I64(-3), I64(tricky));
        byte[] u64 = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(u64, ulong.MaxValue);
        byte[] i32 = new byte[8];
        BinaryPrimitives.WriteInt32LittleEndian(i32, -123456789);
        BinaryPrimitives.WriteInt32LittleEndian(i32.AsSpan(4), 5);
        byte[] u32 = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(u32, uint.MaxValue);
        byte[] i16 = U16(0x8000, 0x7FFF);
        byte[] u16 = U16(0xFFFF);
        byte[] u8 = [0, 255];
        byte[] i8 = [0x80, 0x7F];
        byte[] boolean = [0, 1, 2];
        SafeTensorsFile st = SafeTensorsFile.Parse(Build(
            """
            {"i64":{"dtype":"I64","shape":[2],"data_offsets":[0,16]},
             "u64":{"dtype":"U64","shape":[1],"data_offsets":[16,24]},
             "i32":{"dtype":"I32","shape":[2],"data_offsets":[24,32]},
             "u32":{"dtype":"U32","shape":[1],"data_offsets":[32,36]},
             "i16":{"dtype":"I16","shape":[2],"data_offsets":[36,40]},
             "u16":{"dtype":"U16","shape":[1],"data_offsets":[40,42]},
             "u8":{"dtype":"U8","shape":[2],"data_offsets":[42,44]},
             "i8":{"dtype":"I8","shape":[2],"data_offsets":[44,46]},
             "bool":{"dtype":"BOOL","shape":[3],"data_offsets":[46,49]}}
            """,
            Concat(i64, u64, i32, u32, i16, u16, u8, i8, boolean)));

        Assert.Equal(new[] { -3f, MathF.ScaleB(1f, 60) + MathF.ScaleB(1f, 37) }, st["i64"].ToSingle());
        Assert.Equal(new[] { -3.0, Math.ScaleB(1.0, 60) + Math.ScaleB(1.0, 36) }, st["i64"].ToDouble());
        Assert.Equal(new[] { MathF.ScaleB(1f, 64) }, st["u64"].ToSingle());
        Assert.Equal(new[] { -123456792f, 5f }, st["i32"].ToSingle());
        Assert.Equal(new[] { -123456789.0, 5.0 }, st["i32"].ToDouble());
        Assert.Equal(new[] { 4294967295.0 }, st["u32"].ToDouble());
        Assert.Equal(new[] { -32768f, 32767f }, st["i16"].ToSingle());
        Assert.Equal(new[] { 65535f }, st["u16"].ToSingle());
        Assert.Equal(new[] { 0f, 255f }, st["u8"].ToSingle());
        Assert.Equal(new[] { -128f, 127f }, st["i8"].ToSingle());
        Assert.Equal(new[] { 0f, 1f, 1f }, st["bool"].ToSingle());
    }

    [Fact]
    public void Parse_ZeroElementTensor_HasEmptyRangeAndNoValues()
    {
        SafeTensorsFile st = SafeTensorsFile.Parse(Build(
            """{"empty":{"dtype":"F32","shape":[0,3],"data_offsets":[4,4]},"one":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""",
            F32(5f)));

        Assert.Equal(0, st["empty"].ElementCount);
        Assert.Empty(st["empty"].ToSingle());
        Assert.Equal(new[] { 0, 3 }, st["empty"].Shape);
    }

    [Fact]
    public void CopyTo_WrongDestinationLength_ThrowsNamingTensorAndLengths()
    {
        SafeTensor t = SafeTensorsFile.Parse(Build("""{"t":{"dtype":"F32","shape":[3],"data_offsets":[0,12]}}""", F32(1f, 2f, 3f)))["t"];
        var ok = new float[3];
        t.CopyTo(ok);
        Assert.Equal(new[] { 1f, 2f, 3f }, ok);

        var ex = Assert.Throws<ArgumentException>(() => t.CopyTo(new float[4]));

        Assert.Contains("'t'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("3 elements, got 4", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Shape_ReturnedArrayIsACopy()
    {
        SafeTensor t = SafeTensorsFile.Parse(Build("""{"t":{"dtype":"F32","shape":[1,2],"data_offsets":[0,8]}}""", F32(1f, 2f)))["t"];

        t.Shape[0] = 99;

        Assert.Equal(new[] { 1, 2 }, t.Shape);
    }

    [Theory]
    [InlineData("""{"t":{"dtype":"Q7","shape":[1],"data_offsets":[0,4]}}""", 4, "'t'", "'Q7'")]
    [InlineData("""{"t":{"dtype":"f32","shape":[1],"data_offsets":[0,4]}}""", 4, "'t'", "'f32'")]
    [InlineData("""{"t":{"shape":[1],"data_offsets":[0,4]}}""", 4, "'t'", "'dtype'")]
    [InlineData("""{"t":{"dtype":"F32","data_offsets":[0,4]}}""", 4, "'t'", "'shape'")]
    [InlineData("""{"t":{"dtype":"F32","shape":[1]}}""", 4, "'t'", "'data_offsets'")]
    [InlineData("""{"t":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}""", 4, "'t'", "got -1")]
    [InlineData("""{"t":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}}""", 4, "'t'", "got 1.5")]
    [InlineData("""{"t":{"dtype":"F32","shape":["1"],"data_offsets":[0,4]}}""", 4, "'t'", "'shape' dimension 0")]
    [InlineData("""{"t":{"dtype":"F32","shape":[1],"data_offsets":[0,4,8]}}""", 4, "'t'", "'data_offsets'")]
    [InlineData("""{"t":{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}}""", 4, "'t'", "data_offsets begin")]
    [InlineData("""{"t":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}}""", 4, "'t'", "[4, 0]")]
    [InlineData("""{"t":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", 4, "'t'", "data section, which is 4 bytes")]
    [InlineData("""{"t":{"dtype":"F32","shape":[2,2],"data_offsets":[0,12]}}""", 12, "'t'", "hold 12 bytes, but F32 [2, 2] needs 4 × 4 = 16")]
    [InlineData("""{"t":{"dtype":"F64","shape":[2],"data_offsets":[0,8]}}""", 8, "'t'", "F64 [2] needs 2 × 8 = 16")]
    [InlineData("""{"t":{"dtype":"U8","shape":[2147483647,2147483647,2147483647],"data_offsets":[0,1]}}""", 1, "'t'", "too many elements")]
    [InlineData("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}""", 12, "'b' data_offsets [4, 12] overlap", "'a' data_offsets [0, 8]")]
    [InlineData("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}""", 12, "bytes [4, 8)", "'b'")]
    [InlineData("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", 8, "8 bytes", "only the first 4")]
    [InlineData("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", 8, "'a'", "twice")]
    [InlineData("""{"a":{"dtype":"F32","dtype":"F64","shape":[1],"data_offsets":[0,4]}}""", 4, "'a'", "'dtype' twice")]
    [InlineData("""{"a":[1,2]}""", 0, "'a'", "Array")]
    [InlineData("""{"__metadata__":{"k":1}}""", 0, "__metadata__", "'k'")]
    [InlineData("""{"__metadata__":"x"}""", 0, "__metadata__", "String")]
    [InlineData("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}""", 4, "not valid JSON", "header")]
    [InlineData("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4],}}""", 4, "not valid JSON", "header")]
    [InlineData(""" {}""", 0, "starting with '{'", "0x20")]
    [InlineData("", 0, "starting with '{'", "empty header")]
    public void Parse_InvalidHeader_ThrowsInvalidDataNamingTheProblem(string header, int dataLength, string fragment1, string fragment2)
    {
        byte[] file = Build(header, new byte[dataLength]);

        var ex = Assert.Throws<InvalidDataException>(() => SafeTensorsFile.Parse(file));

        Assert.Contains(fragment1, ex.Message, StringComparison.Ordinal);
        Assert.Contains(fragment2, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_FileShorterThanLengthPrefix_Throws()
    {
        var ex = Assert.Throws<InvalidDataException>(() => SafeTensorsFile.Parse(new byte[5]));

        Assert.Contains("5 bytes long", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_HeaderLengthOverLimit_ThrowsNamingBothNumbers()
    {
        byte[] file = new byte[64];
        BinaryPrimitives.WriteUInt64LittleEndian(file, 100_000_001);

        var ex = Assert.Throws<InvalidDataException>(() => SafeTensorsFile.Parse(file));

        Assert.Contains("100000001", ex.Message, StringComparison.Ordinal);
        Assert.Contains("at most 100000000", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_HeaderLengthPastEndOfFile_ThrowsNamingBothNumbers()
    {
        byte[] file = Build("{}");
        BinaryPrimitives.WriteUInt64LittleEndian(file, 3);

        var ex = Assert.Throws<InvalidDataException>(() => SafeTensorsFile.Parse(file));

        Assert.Contains("header length is 3 bytes, but only 2 bytes follow", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_HugeHeaderLength_ThrowsInsteadOfOverflowing()
    {
        byte[] file = new byte[16];
        BinaryPrimitives.WriteUInt64LittleEndian(file, ulong.MaxValue);

        Assert.Throws<InvalidDataException>(() => SafeTensorsFile.Parse(file));
    }

    [Fact]
    public void Parse_HeaderNotUtf8_Throws()
    {
        byte[] header = [(byte)'{', (byte)'"', 0xFF, (byte)'"', (byte)':', (byte)'1', (byte)'}'];

        var ex = Assert.Throws<InvalidDataException>(() => SafeTensorsFile.Parse(Build(header, [])));

        Assert.Contains("UTF-8", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_EmptyObjectHeaderWithSpacePadding_HasNoTensors()
    {
        SafeTensorsFile st = SafeTensorsFile.Parse(Build("{}      "));

        Assert.Empty(st.Tensors);
        Assert.Empty(st.Metadata);
        Assert.Contains("(none)", Assert.Throws<KeyNotFoundException>(() => st["x"]).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_NonSeekableStream_ReadsToEnd()
    {
        byte[] file = Build("""{"t":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""", F32(1.5f, -1.5f));
        using var stream = new NonSeekableStream(file);

        SafeTensorsFile st = SafeTensorsFile.Read(stream);

        Assert.Equal(new[] { 1.5f, -1.5f }, st["t"].ToSingle());
    }

    [Fact]
    public void Read_SeekableStreamAfterAPrefix_ReadsFromCurrentPosition()
    {
        byte[] file = Build("""{"t":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", F32(42f));
        using var stream = new MemoryStream(Concat([1, 2, 3], file));
        stream.Position = 3;

        SafeTensorsFile st = SafeTensorsFile.Read(stream);

        Assert.Equal(new[] { 42f }, st["t"].ToSingle());
    }

    [Fact]
    public void Parse_InputBufferReusedAfterwards_TensorsKeepTheirValues()
    {
        byte[] file = Build("""{"t":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", F32(42f));
        SafeTensorsFile st = SafeTensorsFile.Parse(file);

        Array.Clear(file);

        Assert.Equal(new[] { 42f }, st["t"].ToSingle());
    }

    [Fact]
    public void Load_InvalidFile_MessageNamesThePath()
    {
        string path = Path.Combine(Path.GetTempPath(), $"fusedops-{Guid.NewGuid():N}.safetensors");
        File.WriteAllBytes(path, Build("""{"t":{"dtype":"X","shape":[1],"data_offsets":[0,4]}}""", F32(1f)));
        try
        {
            var ex = Assert.Throws<InvalidDataException>(() => SafeTensorsFile.Load(path));

            Assert.Contains(path, ex.Message, StringComparison.Ordinal);
            Assert.Contains("unknown dtype 'X'", ex.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static byte[] U16(params int[] values)
    {
        var bytes = new byte[2 * values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(2 * i), (ushort)values[i]);
        }

        return bytes;
    }

    private static byte[] I64(long value)
    {
        var bytes = new byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(bytes, value);
        return bytes;
    }

    private sealed class NonSeekableStream(byte[] bytes) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }
    }
}
