using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using FusedOps.Reference;
using FusedOps.Serialization;
using FusedOps.Tests.Pipelines;
using Xunit;

namespace FusedOps.Tests;

/// <summary>The generated pipelines replay the libtorch fixtures (`issue_scope: core`) within the fixtures' README tolerances.</summary>
[Collection("KernelLevel")]
public sealed class FusedFixtureTests
{
    public static IEnumerable<object[]> Cases()
    {
        foreach (int level in new[] { 512, 256, 128, 0 })
        {
            yield return new object[] { "conv_bn_relu", typeof(ConvBnRelu).Name, level };
            yield return new object[] { "linear_bn_relu", typeof(LinearBnRelu).Name, level };
            yield return new object[] { "cnn_head", typeof(CnnHead).Name, level };
            yield return new object[] { "res_identity", typeof(ResIdentity).Name, level };
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Fixture_ReplaysWithinTolerance(string fixture, string pipeline, int vectorBits)
    {
        int saved = KernelOptions.MaxVectorBits;
        try
        {
            KernelOptions.MaxVectorBits = vectorBits;
            Replay(fixture, typeof(ConvBnRelu).Assembly.GetType("FusedOps.Tests.Pipelines." + pipeline, throwOnError: true)!);
        }
        finally
        {
            KernelOptions.MaxVectorBits = saved;
        }
    }

    /// <summary>Replays <paramref name="fixture"/> through the generated <paramref name="type"/>.</summary>
    internal static void Replay(string fixture, Type type)
    {
        SafeTensorsFile file = SafeTensorsFile.Load(Path.Combine(AppContext.BaseDirectory, "Fixtures", fixture + ".safetensors"));
        Assert.Contains(file.Metadata["issue_scope"], new[] { "core", "branches", "catalogue", "extras" });
        int batch = int.Parse(file.Metadata["batch"], CultureInfo.InvariantCulture);

        var model = (IFusedModel)Activator.CreateInstance(type)!;

        // The C# pipeline is the fixture's declaration: same state-dict names and shapes.
        var declared = ReferenceModel.FromDeclaration(file.Metadata["declaration"]);
        Assert.Equal(declared.Parameters.Select(p => p.ToString()), model.Parameters.Select(p => p.ToString()));
        Assert.Equal(declared.Buffers.Select(p => p.ToString()), model.Buffers.Select(p => p.ToString()));
        Assert.Equal(declared.InputShapeArray, model.InputShapeArray);

        StateDict.Load(model, file, "init/", strict: false);
        float[] input = file["input"].ToSingle();
        float[] gradOutput = file["grad_output"].ToSingle();
        float[] output = new float[batch * model.OutputLength];

        model.Infer(input, output, batch);
        Normwise.AssertWithin(Normwise.OutputError(Normwise.ToDouble(output), file["eval/output"].ToDouble()), 1e-4, "Infer vs eval/output");

        var frozen = (IInferenceModel)type.GetMethod("Freeze")!.Invoke(model, null)!;
        Array.Clear(output);
        frozen.Infer(input, output, batch);
        Normwise.AssertWithin(Normwise.OutputError(Normwise.ToDouble(output), file["eval/output"].ToDouble()), 1e-4, "Frozen.Infer vs eval/output");

        model.Forward(input, output, batch);
        Normwise.AssertWithin(Normwise.OutputError(Normwise.ToDouble(output), file["train/output"].ToDouble()), 1e-4, "Forward vs train/output");
        foreach (Parameter buffer in model.Buffers)
        {
            Normwise.AssertWithin(Normwise.OutputError(Normwise.ToDouble(buffer.Data), file["train/state/" + buffer.Name].ToDouble()), 1e-4, "running statistic " + buffer.Name);
        }

        float[] gradInput = new float[input.Length];
        model.ZeroGrad();
        model.Backward(gradOutput, gradInput);
        var torchGrads = model.Parameters.ToDictionary(p => p.Name, p => file["train/grad/" + p.Name].ToDouble());
        double[] torchGradInput = file["train/grad_input"].ToDouble();
        double caseMax = torchGrads.Values.Append(torchGradInput).Max(Normwise.MaxAbs);
        Normwise.AssertWithin(Normwise.GradientError(Normwise.ToDouble(gradInput), torchGradInput, caseMax), 1e-3, "grad_input");
        foreach (Parameter p in model.Parameters)
        {
            Normwise.AssertWithin(Normwise.GradientError(Normwise.ToDouble(p.Grad), torchGrads[p.Name], caseMax), 1e-3, "grad of " + p.Name);
        }
    }
}
