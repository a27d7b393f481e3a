using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using FusedOps.Serialization;
using Xunit;
using static FusedOps.Tests.Serialization.SafeTensorsBytes;

namespace FusedOps.Tests.Serialization;

public sealed class StateDictTests
{
    [Fact]
    public void SaveThenLoad_IntoDifferentlySeededModel_CopiesEveryParameterAndBufferExactly()
    {
        FakeModel source = FakeModel.LinearBatchNorm(seed: 1);
        FakeModel target = FakeModel.LinearBatchNorm(seed: 2);
        Assert.NotEqual(source.Parameters[0].Data, target.Parameters[0].Data);
        using var stream = new MemoryStream();

        StateDict.Write(source, stream);
        StateDict.Load(target, SafeTensorsFile.Parse(stream.ToArray()));

        foreach (Parameter p in source.Parameters.Concat(source.Buffers))
        {
            Parameter q = target.Parameters.Contains(p.Name) ? target.Parameters[p.Name] : target.Buffers[p.Name];
            Assert.Equal(Bits(p.Data), Bits(q.Data));
        }

        // Gradients are not state: they stay as they were.
        Assert.NotEqual(source.Parameters[0].Grad, target.Parameters[0].Grad);
    }

    [Fact]
    public void Save_File_HoldsParametersAndBuffersUnderStateDictKeys()
    {
        FakeModel model = FakeModel.LinearBatchNorm();
        string path = Path.Combine(Path.GetTempPath(), $"fusedops-{Guid.NewGuid():N}.safetensors");
        try
        {
            StateDict.Save(model, path);
            SafeTensorsFile st = SafeTensorsFile.Load(path);

            Assert.Equal(new[] { "0.bias", "0.weight", "1.bias", "1.running_mean", "1.running_var", "1.weight" }, st.Names);
            Assert.All(st.Tensors, t => Assert.Equal("F32", t.DType));
            Assert.Equal(new[] { 3, 2 }, st["0.weight"].Shape);
            Assert.Equal(model.Buffers["1.running_var"].Data, st["1.running_var"].ToSingle());

            FakeModel other = FakeModel.LinearBatchNorm(seed: 5);
            StateDict.Load(other, path);
            Assert.Equal(model.Parameters["1.weight"].Data, other.Parameters["1.weight"].Data);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData("1.running_var", new[] { 4 }, "[3]", "[4]")] // the last tensor the model visits
    [InlineData("0.weight", new[] { 2, 3 }, "[3, 2]", "[2, 3]")] // the first; same element count, transposed
    [InlineData("1.bias", new[] { 1, 3 }, "[3]", "[1, 3]")] // an extra unit dimension is still a different shape
    public void Load_OneShapeWrong_ThrowsNamingKeyAndBothShapesAndLeavesModelBitIdentical(string corrupted, int[] badShape, string modelShape, string fileShape)
    {
        FakeModel model = FakeModel.LinearBatchNorm(seed: 3);
        List<int[]> before = Snapshot(model);
        SafeTensorsFile file = FileWithShape(FakeModel.LinearBatchNorm(seed: 4), corrupted, badShape);

        var ex = Assert.Throws<ArgumentException>(() => StateDict.Load(model, file));

        Assert.Contains($"key '{corrupted}'", ex.Message, StringComparison.Ordinal);
        Assert.Contains($"model expects shape {modelShape}, the file has {fileShape}", ex.Message, StringComparison.Ordinal);
        Assert.Contains("nothing was loaded", ex.Message, StringComparison.Ordinal);
        Assert.Equal(before, Snapshot(model));
    }

    [Fact]
    public void Load_MissingKey_ThrowsNamingKeyAndModelShapeAndLeavesModelBitIdentical()
    {
        FakeModel model = FakeModel.LinearBatchNorm(seed: 3);
        List<int[]> before = Snapshot(model);
        FakeModel source = FakeModel.LinearBatchNorm(seed: 4);
        SafeTensorsFile file = Save(source.Parameters.Concat(source.Buffers).Where(p => p.Name != "1.running_mean"));

        var ex = Assert.Throws<ArgumentException>(() => StateDict.Load(model, file, strict: false));

        Assert.Contains("missing key '1.running_mean': model expects [3]", ex.Message, StringComparison.Ordinal);
        Assert.Equal(before, Snapshot(model));
    }

    [Fact]
    public void Load_SeveralProblems_MessageListsEveryOne()
    {
        FakeModel model = FakeModel.LinearBatchNorm();
        SafeTensorsFile file = Save([new Parameter("0.weight", [3, 3], true), new Parameter("9.weight", [1], true)]);

        var ex = Assert.Throws<ArgumentException>(() => StateDict.Load(model, file));

        Assert.Contains("7 problems", ex.Message, StringComparison.Ordinal);
        Assert.Contains("key '0.weight': model expects shape [3, 2], the file has [3, 3]", ex.Message, StringComparison.Ordinal);
        Assert.Contains("missing key '1.running_var'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("unexpected key '9.weight' [1]", ex.Message, StringComparison.Ordinal);
        Assert.Equal("file", ex.ParamName);
    }

    [Fact]
    public void Load_StrictWithUnexpectedKey_ThrowsAndLeavesModelUnchanged()
    {
        FakeModel model = FakeModel.LinearBatchNorm(seed: 3);
        List<int[]> before = Snapshot(model);
        FakeModel source = FakeModel.LinearBatchNorm(seed: 4);
        SafeTensorsFile file = Save(source.Parameters.Concat(source.Buffers).Append(new Parameter("2.weight", [5], true)));

        var ex = Assert.Throws<ArgumentException>(() => StateDict.Load(model, file));

        Assert.Contains("unexpected key '2.weight' [5]", ex.Message, StringComparison.Ordinal);
        Assert.Equal(before, Snapshot(model));
    }

    [Fact]
    public void Load_NotStrictWithUnexpectedKey_IgnoresItAndLoadsTheRest()
    {
        FakeModel model = FakeModel.LinearBatchNorm(seed: 3);
        FakeModel source = FakeModel.LinearBatchNorm(seed: 4);
        SafeTensorsFile file = Save(source.Parameters.Concat(source.Buffers).Append(new Parameter("2.weight", [5], true)));

        StateDict.Load(model, file, strict: false);

        Assert.Equal(source.Buffers["1.running_var"].Data, model.Buffers["1.running_var"].Data);
    }

    [Fact]
    public void Load_StrictWithPyTorchNumBatchesTracked_IgnoresOnlyThatKey()
    {
        // PyTorch's BatchNorm saves an I64 scalar num_batches_tracked; FusedOps keeps none.
        FakeModel source = FakeModel.LinearBatchNorm(seed: 4);
        using var stream = new MemoryStream();
        StateDict.Write(source, stream);
        SafeTensorsFile saved = SafeTensorsFile.Parse(stream.ToArray());
        SafeTensorsFile withCounter = WithExtraI64Scalar(saved, "1.num_batches_tracked");
        SafeTensorsFile withLookalike = WithExtraI64Scalar(saved, "1.xnum_batches_tracked");
        FakeModel model = FakeModel.LinearBatchNorm(seed: 3);

        StateDict.Load(model, withCounter);

        Assert.Equal(source.Parameters["0.weight"].Data, model.Parameters["0.weight"].Data);
        var ex = Assert.Throws<ArgumentException>(() => StateDict.Load(model, withLookalike));
        Assert.Contains("unexpected key '1.xnum_batches_tracked'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_WithPrefix_ReadsPrefixedKeysAndIgnoresKeysOutsideThePrefixEvenWhenStrict()
    {
        FakeModel source = FakeModel.LinearBatchNorm(seed: 4);
        var tensors = source.Parameters.Concat(source.Buffers).Select(p => ("init/" + p.Name, p.Shape, p.Data)).ToList();
        tensors.Add(("input", [2, 2], [1f, 2f, 3f, 4f]));
        tensors.Add(("0.weight", [7], new float[7])); // an unprefixed key of the same name is not the model's
        using var stream = new MemoryStream();
        SafeTensorsFile.Write(stream, tensors);
        FakeModel model = FakeModel.LinearBatchNorm(seed: 3);

        StateDict.Load(model, SafeTensorsFile.Parse(stream.ToArray()), prefix: "init/");

        Assert.Equal(source.Parameters["0.weight"].Data, model.Parameters["0.weight"].Data);
        Assert.Equal(source.Buffers["1.running_mean"].Data, model.Buffers["1.running_mean"].Data);
    }

    [Fact]
    public void Load_F64Tensors_AreRoundedToFloat()
    {
        var model = new FakeModel([new Parameter("w", [1, 2], true)], []);
        SafeTensorsFile file = SafeTensorsFile.Parse(Build("""{"w":{"dtype":"F64","shape":[1,2],"data_offsets":[0,16]}}""", F64(0.1, -1e-50)));

        StateDict.Load(model, file);

        Assert.Equal(new[] { 0.1f, -0f }, model.Parameters["w"].Data);
        Assert.True(float.IsNegative(model.Parameters["w"].Data[1]));
    }

    [Fact]
    public void Load_ConvBnReluFixtureInitState_MatchesIndependentDecoding()
    {
        string path = Path.Combine(AppContext.BaseDirectory, "Fixtures", "conv_bn_relu.safetensors");
        var model = new FakeModel(
            [new Parameter("0.weight", [8, 3, 3, 3], true), new Parameter("0.bias", [8], true), new Parameter("1.weight", [8], true), new Parameter("1.bias", [8], true)],
            [new Parameter("1.running_mean", [8], false), new Parameter("1.running_var", [8], false)]);

        StateDict.Load(model, path, prefix: "init/");

        // init/0.weight is at data offset 46112, init/1.running_var at 47040; the header is 1584 bytes.
        byte[] bytes = File.ReadAllBytes(path);
        const int Data = 8 + 1584;
        for (int i = 0; i < 216; i++)
        {
            Assert.Equal(BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(Data + 46112 + (4 * i))), model.Parameters["0.weight"].Data[i]);
        }

        for (int i = 0; i < 8; i++)
        {
            Assert.Equal(BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(Data + 47040 + (4 * i))), model.Buffers["1.running_var"].Data[i]);
        }
    }

    [Fact]
    public void Load_ConvFixtureIntoLinearModel_ThrowsNamingShapes()
    {
        string path = Path.Combine(AppContext.BaseDirectory, "Fixtures", "conv_bn_relu.safetensors");
        FakeModel model = FakeModel.LinearBatchNorm();
        List<int[]> before = Snapshot(model);

        var ex = Assert.Throws<ArgumentException>(() => StateDict.Load(model, path, prefix: "init/"));

        Assert.Contains("key 'init/0.weight': model expects shape [3, 2], the file has [8, 3, 3, 3]", ex.Message, StringComparison.Ordinal);
        Assert.Equal(before, Snapshot(model));
    }

    private static SafeTensorsFile FileWithShape(FakeModel source, string name, int[] shape)
    {
        var tensors = source.Parameters.Concat(source.Buffers)
            .Select(p => p.Name == name ? (p.Name, shape, new float[shape.Aggregate(1, (a, b) => a * b)]) : (p.Name, p.Shape, p.Data));
        using var stream = new MemoryStream();
        SafeTensorsFile.Write(stream, tensors);
        return SafeTensorsFile.Parse(stream.ToArray());
    }

    private static SafeTensorsFile Save(IEnumerable<Parameter> tensors)
    {
        using var stream = new MemoryStream();
        SafeTensorsFile.Write(stream, tensors.Select(p => (p.Name, p.Shape, p.Data)));
        return SafeTensorsFile.Parse(stream.ToArray());
    }

    /// <summary>Rebuilds <paramref name="file"/> by hand with one more tensor, an I64 scalar, as PyTorch writes num_batches_tracked.</summary>
    private static SafeTensorsFile WithExtraI64Scalar(SafeTensorsFile file, string name)
    {
        var header = new List<string>();
        var data = new List<byte[]>();
        int offset = 0;
        foreach (SafeTensor t in file.Tensors)
        {
            header.Add($"\"{t.Name}\":{{\"dtype\":\"{t.DType}\",\"shape\":[{string.Join(",", t.Shape)}],\"data_offsets\":[{offset},{offset + t.RawData.Length}]}}");
            data.Add(t.RawData.ToArray());
            offset += t.RawData.Length;
        }

        header.Add($"\"{name}\":{{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[{offset},{offset + 8}]}}");
        var counter = new byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(counter, 100);
        data.Add(counter);
        return SafeTensorsFile.Parse(Build("{" + string.Join(",", header) + "}", Concat([.. data])));
    }

    private static List<int[]> Snapshot(FakeModel model) =>
        model.Parameters.Concat(model.Buffers).SelectMany(p => new[] { Bits(p.Data), Bits(p.Grad) }).ToList();

    private static int[] Bits(float[] values) => Array.ConvertAll(values, BitConverter.SingleToInt32Bits);
}
