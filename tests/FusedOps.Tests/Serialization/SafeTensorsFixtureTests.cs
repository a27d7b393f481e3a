using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using FusedOps.Serialization;
using Xunit;

namespace FusedOps.Tests.Serialization;

public sealed class SafeTensorsFixtureTests
{
    public static TheoryData<string> FixtureNames => new() { "cnn_head", "conv_bn_relu", "linear_bn_relu", "linear_layernorm_gelu" };

    [Theory]
    [MemberData(nameof(FixtureNames))]
    public void Load_Fixture_HasMetadataAndInputOfBatchTimesInputShape(string fixture)
    {
        SafeTensorsFile st = SafeTensorsFile.Load(FixturePath(fixture));

        Assert.StartsWith("[FusedPipeline(", st.Metadata["declaration"], StringComparison.Ordinal);
        int batch = int.Parse(st.Metadata["batch"], System.Globalization.CultureInfo.InvariantCulture);
        int[] inputShape = st.Metadata["input_shape"].Split(',').Select(s => int.Parse(s, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal([batch, .. inputShape], st["input"].Shape);
        Assert.Equal("F32", st["input"].DType);
        Assert.Equal("F64", st["eval/output"].DType);
        Assert.Equal(st["eval/output"].Shape, st["grad_output"].Shape);
        Assert.Equal(st["input"].Shape, st["train/grad_input"].Shape);
    }

    /// <summary>
    /// Decodes every tensor again with a separate JSON parse and BinaryPrimitives reads at the
    /// absolute file offsets, and compares bit for bit with what the reader returns.
    /// </summary>
    [Theory]
    [MemberData(nameof(FixtureNames))]
    public void Load_Fixture_EveryValueMatchesIndependentDecoding(string fixture)
    {
        byte[] bytes = File.ReadAllBytes(FixturePath(fixture));
        int headerLength = checked((int)BinaryPrimitives.ReadUInt64LittleEndian(bytes));
        using JsonDocument header = JsonDocument.Parse(bytes.AsMemory(8, headerLength));
        var expectedNames = new List<string>();

        SafeTensorsFile st = SafeTensorsFile.Load(FixturePath(fixture));

        foreach (JsonProperty entry in header.RootElement.EnumerateObject().Where(p => p.Name != "__metadata__"))
        {
            expectedNames.Add(entry.Name);
            string dtype = entry.Value.GetProperty("dtype").GetString()!;
            int begin = entry.Value.GetProperty("data_offsets")[0].GetInt32();
            int end = entry.Value.GetProperty("data_offsets")[1].GetInt32();
            int size = dtype == "F64" ? 8 : 4;
            var expected = new double[(end - begin) / size];
            for (int i = 0; i < expected.Length; i++)
            {
                ReadOnlySpan<byte> at = bytes.AsSpan(8 + headerLength + begin + (size * i));
                expected[i] = dtype == "F64" ? BinaryPrimitives.ReadDoubleLittleEndian(at) : BinaryPrimitives.ReadSingleLittleEndian(at);
            }

            SafeTensor tensor = st[entry.Name];
            Assert.Equal(dtype, tensor.DType);
            Assert.Equal(entry.Value.GetProperty("shape").EnumerateArray().Select(d => d.GetInt32()), tensor.Shape);
            Assert.Equal(expected.Length, tensor.ElementCount);
            Assert.Equal(expected.Select(BitConverter.DoubleToInt64Bits), tensor.ToDouble().Select(BitConverter.DoubleToInt64Bits));
            Assert.Equal(expected.Select(v => BitConverter.SingleToInt32Bits((float)v)), tensor.ToSingle().Select(BitConverter.SingleToInt32Bits));
        }

        Assert.Equal(expectedNames, st.Names);
    }

    [Fact]
    public void Load_ConvBnRelu_HasDocumentedTensorsAndValuesAtKnownOffsets()
    {
        byte[] bytes = File.ReadAllBytes(FixturePath("conv_bn_relu"));
        SafeTensorsFile st = SafeTensorsFile.Load(FixturePath("conv_bn_relu"));

        Assert.Equal("[FusedPipeline(3, 10, 12)]\n[Conv2d(8, 3, Padding = 1)]\n[BatchNorm]\n[ReLU]", st.Metadata["declaration"]);
        Assert.Equal("4", st.Metadata["batch"]);
        Assert.Equal("3,10,12", st.Metadata["input_shape"]);
        Assert.Equal(17, st.Tensors.Count);

        SafeTensor weight = st["init/0.weight"];
        Assert.Equal("F32", weight.DType);
        Assert.Equal(new[] { 8, 3, 3, 3 }, weight.Shape);
        SafeTensor output = st["eval/output"];
        Assert.Equal("F64", output.DType);
        Assert.Equal(new[] { 4, 8, 10, 12 }, output.Shape);

        // The header is 1584 bytes; init/0.weight starts at data offset 46112, eval/output at 0.
        const int Data = 8 + 1584;
        Assert.Equal(1584ul, BinaryPrimitives.ReadUInt64LittleEndian(bytes));
        float[] w = weight.ToSingle();
        foreach (int i in new[] { 0, 1, 100, 215 })
        {
            Assert.Equal(BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(Data + 46112 + (4 * i))), w[i]);
        }

        double[] o = output.ToDouble();
        foreach (int i in new[] { 0, 7, 1919, 3839 })
        {
            Assert.Equal(BinaryPrimitives.ReadDoubleLittleEndian(bytes.AsSpan(Data + (8 * i))), o[i]);
        }

        // Sanity of the content itself: variances are positive, eval output of a ReLU is >= 0.
        Assert.All(st["init/1.running_var"].ToSingle(), v => Assert.True(v > 0f));
        Assert.All(o, v => Assert.True(v >= 0.0));
        Assert.Contains(o, v => v > 0.0);
    }

    private static string FixturePath(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", name + ".safetensors");
}
