using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using FusedOps.Reference;
using Xunit;

namespace FusedOps.Tests;

/// <summary>
/// Replays the libtorch fixtures through the reference: the yardstick itself is checked against
/// PyTorch. Every fixture in Fixtures/ is replayed, so new cases are picked up automatically.
/// </summary>
public class ReferenceFixtureTests
{
    private const double OutputTolerance = 1e-4;
    private const double GradientTolerance = 1e-3;

    // The double path computes what libtorch computed (float64 from float32 data), so it must
    // agree to double rounding, far inside the float32 tolerances above.
    private const double DoubleTolerance = 1e-10;

    public static TheoryData<string> Fixtures() => new(FixtureNames());

    private static string[] FixtureNames() =>
        Directory.GetFiles(FixtureFile.Directory, "*.safetensors").Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray()!;

    [Fact]
    public void FixtureFolder_HoldsTheCoreCases()
    {
        string[] names = FixtureNames();
        Assert.Contains("conv_bn_relu.safetensors", names);
        Assert.Contains("linear_bn_relu.safetensors", names);
        Assert.Contains("cnn_head.safetensors", names);
        Assert.Contains("res_identity.safetensors", names);
        Assert.Contains("linear_weightnorm.safetensors", names);
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void Declaration_BuildsTheFixturesShapesAndStateNames(string fixture)
    {
        FixtureFile file = FixtureFile.Load(fixture);
        ReferenceModel model = ReferenceModel.FromDeclaration(file.Metadata["declaration"]);

        int[] inputShape = file.Metadata["input_shape"].Split(',').Select(int.Parse).ToArray();
        int batch = int.Parse(file.Metadata["batch"]);
        Assert.Equal(inputShape, model.InputShapeArray);
        Assert.Equal([batch, .. model.InputShapeArray], file.Shape("input"));
        Assert.Equal([batch, .. model.OutputShapeArray], file.Shape("eval/output"));
        string[] stateNames = model.Parameters.Names.Concat(model.Buffers.Names).Order(StringComparer.Ordinal).ToArray();
        string[] initNames = file.TensorNames.Where(n => n.StartsWith("init/", StringComparison.Ordinal))
            .Select(n => n["init/".Length..]).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(initNames, stateNames);
        foreach (Parameter p in model.Parameters.Concat(model.Buffers))
        {
            Assert.Equal(file.Shape("init/" + p.Name), p.Shape);
        }
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void Infer_MatchesTorchEvalOutput(string fixture)
    {
        (FixtureFile file, ReferenceModel model, int batch) = Load(fixture);
        var output = new float[batch * model.OutputLength];

        model.Infer(file.Single("input"), output, batch);

        Normwise.AssertWithin(Normwise.OutputError(Normwise.ToDouble(output), file.Double("eval/output")), OutputTolerance, "eval/output");
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void Forward_MatchesTorchTrainOutputAndRunningStatistics(string fixture)
    {
        (FixtureFile file, ReferenceModel model, int batch) = Load(fixture);
        if (!CompareTrain(file))
        {
            return;
        }

        var output = new float[batch * model.OutputLength];
        model.Forward(file.Single("input"), output, batch);

        Normwise.AssertWithin(Normwise.OutputError(Normwise.ToDouble(output), file.Double("train/output")), OutputTolerance, "train/output");
        foreach (Parameter buffer in model.Buffers)
        {
            string key = "train/state/" + buffer.Name;
            Assert.True(file.Contains(key), $"fixture has no {key}");
            Normwise.AssertWithin(Normwise.OutputError(Normwise.ToDouble(buffer.Data), file.Double(key)), OutputTolerance, key);
        }
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void Backward_MatchesTorchGradients(string fixture)
    {
        (FixtureFile file, ReferenceModel model, int batch) = Load(fixture);
        if (!CompareTrain(file))
        {
            return;
        }

        model.Forward(file.Single("input"), new float[batch * model.OutputLength], batch);
        var gradInput = new float[batch * model.InputLength];
        model.ZeroGrad();
        model.Backward(file.Single("grad_output"), gradInput);

        double caseMax = CaseGradientMax(file);
        Normwise.AssertWithin(Normwise.GradientError(Normwise.ToDouble(gradInput), file.Double("train/grad_input"), caseMax), GradientTolerance, "train/grad_input");
        foreach (Parameter p in model.Parameters)
        {
            string key = "train/grad/" + p.Name;
            Normwise.AssertWithin(Normwise.GradientError(Normwise.ToDouble(p.Grad), file.Double(key), caseMax), GradientTolerance, key);
        }
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void DoublePath_MatchesTorchToDoublePrecision(string fixture)
    {
        (FixtureFile file, ReferenceModel model, int batch) = Load(fixture);
        double[] input = file.Double("input");

        double[] eval = model.ForwardDouble(input, batch, training: false);
        Normwise.AssertWithin(Normwise.OutputError(eval, file.Double("eval/output")), DoubleTolerance, "eval/output (double)");
        if (!CompareTrain(file))
        {
            return;
        }

        double[] train = model.ForwardDouble(input, batch, training: true);
        (double[] gradInput, IReadOnlyDictionary<string, double[]> gradParameters) = model.BackwardDouble(file.Double("grad_output"));

        double caseMax = CaseGradientMax(file);
        Normwise.AssertWithin(Normwise.OutputError(train, file.Double("train/output")), DoubleTolerance, "train/output (double)");
        Normwise.AssertWithin(Normwise.GradientError(gradInput, file.Double("train/grad_input"), caseMax), DoubleTolerance, "train/grad_input (double)");
        Assert.Equal(model.Parameters.Names.Order(StringComparer.Ordinal), gradParameters.Keys.Order(StringComparer.Ordinal));
        foreach ((string name, double[] grad) in gradParameters)
        {
            Normwise.AssertWithin(Normwise.GradientError(grad, file.Double("train/grad/" + name), caseMax), DoubleTolerance, $"train/grad/{name} (double)");
        }
    }

    /// <summary>The fixture, a reference model of its declaration holding its <c>init/</c> state, and the batch size.</summary>
    private static (FixtureFile File, ReferenceModel Model, int Batch) Load(string fixture)
    {
        FixtureFile file = FixtureFile.Load(fixture);
        ReferenceModel model = ReferenceModel.FromDeclaration(file.Metadata["declaration"], seed: 12345);
        foreach (Parameter p in model.Parameters.Concat(model.Buffers))
        {
            float[] init = file.Single("init/" + p.Name);
            Assert.Equal(p.Length, init.Length);
            init.CopyTo(p.Data, 0);
        }

        return (file, model, int.Parse(file.Metadata["batch"]));
    }

    private static bool CompareTrain(FixtureFile file) =>
        !file.Metadata.TryGetValue("compare_train", out string? value) || value == "true";

    private static double CaseGradientMax(FixtureFile file) =>
        file.TensorNames.Where(n => n == "train/grad_input" || n.StartsWith("train/grad/", StringComparison.Ordinal))
            .Max(n => Normwise.MaxAbs(file.Double(n)));
}
