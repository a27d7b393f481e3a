using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Text;
using FusedOps.Serialization;
using Xunit;

namespace FusedOps.Tests.Serialization;

public sealed class SafeTensorsWriterTests
{
    [Fact]
    public void Write_ThenParse_RoundTripsNamesShapesBitsAndMetadata()
    {
        float[] weight = [1f, -0f, float.NaN, float.PositiveInfinity, float.Epsilon, -3.25e-7f];
        float[] bias = [0.1f, 0.2f];
        var metadata = new Dictionary<string, string> { ["batch"] = "4", ["declaration"] = "[Linear(2)]\n[ReLU]" };
        using var stream = new MemoryStream();

        SafeTensorsFile.Write(stream, [("0.weight", [2, 3], weight), ("0.bias", [2], bias)], metadata);
        SafeTensorsFile st = SafeTensorsFile.Parse(stream.ToArray());

        Assert.Equal(metadata, st.Metadata);
        Assert.Equal(new[] { 2, 3 }, st["0.weight"].Shape);
        Assert.Equal("F32", st["0.weight"].DType);
        Assert.Equal(Bits(weight), Bits(st["0.weight"].ToSingle()));
        Assert.Equal(bias, st["0.bias"].ToSingle());
    }

    [Fact]
    public void Write_Layout_MatchesReferenceImplementationByteForByte()
    {
        using var stream = new MemoryStream();

        SafeTensorsFile.Write(stream, [("b", [2], [1f, 2f]), ("a", [1, 1], [3f])], new Dictionary<string, string> { ["k"] = "v" });
        byte[] file = stream.ToArray();

        const string Json = """{"__metadata__":{"k":"v"},"a":{"dtype":"F32","shape":[1,1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}""";
        int padded = (Json.Length + 7) / 8 * 8;
        Assert.Equal((ulong)padded, BinaryPrimitives.ReadUInt64LittleEndian(file));
        Assert.Equal(Json + new string(' ', padded - Json.Length), Encoding.UTF8.GetString(file, 8, padded));
        Assert.Equal(8 + padded + 12, file.Length);
        Assert.Equal(3f, BinaryPrimitives.ReadSingleLittleEndian(file.AsSpan(8 + padded)));
        Assert.Equal(1f, BinaryPrimitives.ReadSingleLittleEndian(file.AsSpan(8 + padded + 4)));
        Assert.Equal(2f, BinaryPrimitives.ReadSingleLittleEndian(file.AsSpan(8 + padded + 8)));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(8)]
    [InlineData(13)]
    public void Write_AnyNameLength_PadsHeaderToMultipleOf8WithSpaces(int nameLength)
    {
        using var stream = new MemoryStream();

        SafeTensorsFile.Write(stream, [(new string('n', nameLength), [1], [1f])]);
        byte[] file = stream.ToArray();

        int headerLength = (int)BinaryPrimitives.ReadUInt64LittleEndian(file);
        Assert.Equal(0, headerLength % 8);
        string header = Encoding.UTF8.GetString(file, 8, headerLength);
        Assert.EndsWith("}}", header.TrimEnd(' '), StringComparison.Ordinal);
        Assert.True(header.Length - header.TrimEnd(' ').Length < 8);
        Assert.Equal(8 + headerLength + 4, file.Length);
    }

    [Fact]
    public void Write_Names_AreSortedBytewiseOnUtf8LikeRust()
    {
        // UTF-16 ordinal would put the emoji (a surrogate pair, 0xD83D...) before U+FFFD;
        // UTF-8 byte order (F0... after EF...) puts it last, as Rust's String ordering does.
        string[] names = ["\U0001F600", "\uFFFD", "é", "a", "_", "B", "a.b", "a0"];
        var tensors = new List<(string, int[], float[])>();
        foreach (string n in names)
        {
            tensors.Add((n, [1], [tensors.Count]));
        }

        using var stream = new MemoryStream();
        SafeTensorsFile.Write(stream, tensors);
        byte[] file = stream.ToArray();
        SafeTensorsFile st = SafeTensorsFile.Parse(file);

        Assert.Equal(new[] { "B", "_", "a", "a.b", "a0", "é", "\uFFFD", "\U0001F600" }, st.Names);
        Assert.Equal(new[] { 0f }, st["\U0001F600"].ToSingle());

        // The data section is laid out in the same order.
        int dataStart = 8 + (int)BinaryPrimitives.ReadUInt64LittleEndian(file);
        var layout = new float[names.Length];
        for (int i = 0; i < layout.Length; i++)
        {
            layout[i] = BinaryPrimitives.ReadSingleLittleEndian(file.AsSpan(dataStart + (4 * i)));
        }

        Assert.Equal(new[] { 5f, 4f, 3f, 6f, 7f, 2f, 1f, 0f }, layout);
    }

    [Fact]
    public void Write_SpecialCharacters_AreEscapedAsSerdeJsonAndRoundTrip()
    {
        const string Name = "q\"b\\s\nn\u0001c\t/";
        using var stream = new MemoryStream();

        SafeTensorsFile.Write(stream, [(Name, [1], [1f])], new Dictionary<string, string> { ["k\r"] = "\u001f\b\f" });
        byte[] file = stream.ToArray();

        string header = Encoding.UTF8.GetString(file, 8, (int)BinaryPrimitives.ReadUInt64LittleEndian(file));
        Assert.Contains("\"q\\\"b\\\\s\\nn\\u0001c\\t/\":", header, StringComparison.Ordinal);
        Assert.Contains("{\"k\\r\":\"\\u001f\\b\\f\"}", header, StringComparison.Ordinal);
        SafeTensorsFile st = SafeTensorsFile.Parse(file);
        Assert.True(st.Contains(Name));
        Assert.Equal("\u001f\b\f", st.Metadata["k\r"]);
    }

    [Fact]
    public void Write_NoTensorsNoMetadata_WritesPaddedEmptyObject()
    {
        using var stream = new MemoryStream();

        SafeTensorsFile.Write(stream, [], new Dictionary<string, string>());
        byte[] file = stream.ToArray();

        Assert.Equal(16, file.Length);
        Assert.Equal(8ul, BinaryPrimitives.ReadUInt64LittleEndian(file));
        Assert.Equal("{}      ", Encoding.UTF8.GetString(file, 8, 8));
        Assert.Empty(SafeTensorsFile.Parse(file).Tensors);
    }

    [Fact]
    public void Write_ZeroElementAndScalarTensors_RoundTrip()
    {
        using var stream = new MemoryStream();

        SafeTensorsFile.Write(stream, [("empty", [2, 0], []), ("scalar", [], [6.5f])]);
        SafeTensorsFile st = SafeTensorsFile.Parse(stream.ToArray());

        Assert.Equal(new[] { 2, 0 }, st["empty"].Shape);
        Assert.Equal(0, st["empty"].ElementCount);
        Assert.Empty(st["scalar"].Shape);
        Assert.Equal(new[] { 6.5f }, st["scalar"].ToSingle());
    }

    public static TheoryData<string, (string, int[], float[])[], string> InvalidTensors => new()
    {
        { "duplicate", [("a", [1], [1f]), ("a", [1], [2f])], "'a' appears twice" },
        { "length", [("w", [2, 3], new float[5])], "'w': shape [2, 3] has 6 elements, but Data has 5" },
        { "negative", [("w", [-1], [])], "'w': shape [-1] has a negative dimension" },
        { "reserved", [("__metadata__", [1], [1f])], "reserved for the metadata" },
        { "null data", [("w", [1], null!)], "null Data" },
        { "surrogate", [("bad\uD800", [1], [1f])], "unpaired surrogate" },
    };

    [Theory]
    [MemberData(nameof(InvalidTensors))]
    public void Write_InvalidTensor_ThrowsBeforeWritingAnything(string scenario, (string, int[], float[])[] tensors, string fragment)
    {
        using var stream = new MemoryStream();

        var ex = Assert.Throws<ArgumentException>(() => SafeTensorsFile.Write(stream, tensors));

        Assert.Contains(fragment, ex.Message, StringComparison.Ordinal);
        Assert.Equal("tensors", ex.ParamName);
        Assert.True(stream.Length == 0, scenario);
    }

    [Fact]
    public void Write_NullMetadataValue_ThrowsNamingKey()
    {
        using var stream = new MemoryStream();

        var ex = Assert.Throws<ArgumentException>(() => SafeTensorsFile.Write(stream, [("w", [1], [1f])], new Dictionary<string, string> { ["note"] = null! }));

        Assert.Contains("'note'", ex.Message, StringComparison.Ordinal);
        Assert.Equal(0, stream.Length);
    }

    [Fact]
    public void Save_ThenLoad_RoundTrips()
    {
        string path = TempPath();
        try
        {
            SafeTensorsFile.Save(path, [("x", [3], [1f, 2f, 3f])], new Dictionary<string, string> { ["m"] = "1" });

            SafeTensorsFile st = SafeTensorsFile.Load(path);

            Assert.Equal(new[] { 1f, 2f, 3f }, st["x"].ToSingle());
            Assert.Equal("1", st.Metadata["m"]);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Save_InvalidTensors_LeavesExistingFileUntouched()
    {
        string path = TempPath();
        byte[] original = [1, 2, 3, 4];
        File.WriteAllBytes(path, original);
        try
        {
            Assert.Throws<ArgumentException>(() => SafeTensorsFile.Save(path, [("x", [3], [1f, 2f])]));

            Assert.Equal(original, File.ReadAllBytes(path));
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static string TempPath() => Path.Combine(Path.GetTempPath(), $"fusedops-{Guid.NewGuid():N}.safetensors");

    private static int[] Bits(float[] values) => Array.ConvertAll(values, BitConverter.SingleToInt32Bits);
}
