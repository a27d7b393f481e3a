using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using FusedOps.Serialization;
using FusedOps.Training;
using Xunit;

namespace FusedOps.Tests.Training;

/// <summary>Every optimiser against torch.optim's fixtures and against the double-precision reference.</summary>
public sealed class OptimizerTests
{
    private const double FixtureTolerance = 2e-5; // fixtures README, "Optimiser fixtures"

    public static TheoryData<string> FixtureFiles()
    {
        var data = new TheoryData<string>();
        foreach (string path in Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "Fixtures", "Optim"), "optim_*.safetensors").Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetFileName(path));
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(FixtureFiles))]
    public void Step_ReplaysTorchOptimFixture_WithinTolerance(string fileName)
    {
        SafeTensorsFile file = SafeTensorsFile.Load(Path.Combine(AppContext.BaseDirectory, "Fixtures", "Optim", fileName));
        (string type, Dictionary<string, object> arguments) = OptimizerFactory.Parse(file.Metadata["api"]);
        int steps = int.Parse(file.Metadata["steps"], System.Globalization.CultureInfo.InvariantCulture);
        Parameter[] tensors = file.Tensors.Where(t => t.Name.StartsWith("init/", StringComparison.Ordinal))
            .Select(t =>
            {
                var p = new Parameter(t.Name["init/".Length..], t.Shape, hasGrad: true);
                t.CopyTo(p.Data);
                return p;
            }).ToArray();
        Optimizer optimizer = OptimizerFactory.Create(type, new ParameterList(tensors), arguments);

        for (int k = 0; k < steps; k++)
        {
            foreach (Parameter p in tensors)
            {
                file[$"grad/{k}/{p.Name}"].CopyTo(p.Grad);
            }

            optimizer.Step();
            foreach (Parameter p in tensors)
            {
                double error = Normwise.OutputError(Normwise.ToDouble(p.Data), file[$"after/{k}/{p.Name}"].ToDouble());
                Normwise.AssertWithin(error, FixtureTolerance, $"{fileName} step {k} '{p.Name}'");
            }
        }
    }

    [Theory]
    [MemberData(nameof(RandomSettings))]
    public void Step_RandomSettings_MatchesDoublePrecisionReference(string type, string settings)
    {
        Dictionary<string, object> arguments = OptimizerFactory.Parse($"new {type}(p{settings})").Arguments;
        Parameter[] tensors = NewTensors(seed: settings.Length);
        Optimizer optimizer = OptimizerFactory.Create(type, new ParameterList(tensors), arguments);
        var reference = new ReferenceOptimizer(type, arguments);
        double[][] expected = tensors.Select(p => Normwise.ToDouble(p.Data)).ToArray();
        var random = new Random(type.Length * 31 + settings.Length);

        for (int k = 0; k < 15; k++)
        {
            SetGradients(tensors, random, scale: k % 3 == 2 ? 0.01f : 1f);
            reference.Step(expected, tensors.Select(p => Normwise.ToDouble(p.Grad)).ToArray());
            optimizer.Step();
            for (int i = 0; i < tensors.Length; i++)
            {
                double error = Normwise.OutputError(Normwise.ToDouble(tensors[i].Data), expected[i]);
                Normwise.AssertWithin(error, FixtureTolerance, $"{type}({settings}) step {k} '{tensors[i].Name}'");
            }
        }
    }

    public static TheoryData<string, string> RandomSettings()
    {
        // Drawn once from a fixed seed so failures reproduce; every flag appears both ways.
        var random = new Random(8);
        float R(double lo, double hi) => (float)Math.Round(lo + (random.NextDouble() * (hi - lo)), 4);
        var data = new TheoryData<string, string>();
        for (int n = 0; n < 6; n++)
        {
            bool flag = n % 2 == 0;
            data.Add("Sgd", FormattableString.Invariant($", learningRate: {R(0.01, 0.2)}f, momentum: {R(0.1, 0.95)}f, weightDecay: {R(0, 0.05)}f") + (flag ? ", nesterov: true" : FormattableString.Invariant($", dampening: {R(0, 0.5)}f")));
            data.Add(n % 3 == 0 ? "AdamW" : "Adam", FormattableString.Invariant($", learningRate: {R(1e-3, 5e-2)}f, beta1: {R(0.5, 0.95)}f, beta2: {R(0.9, 0.9999)}f, epsilon: {R(1e-6, 1e-3)}f, weightDecay: {R(0, 0.1)}f, amsGrad: {(flag ? "true" : "false")}"));
            data.Add("AdaGrad", FormattableString.Invariant($", learningRate: {R(1e-3, 0.1)}f, learningRateDecay: {R(0, 0.1)}f, weightDecay: {R(0, 0.05)}f, initialAccumulator: {R(0, 0.5)}f, epsilon: {R(1e-8, 1e-4)}f"));
            data.Add("Adadelta", FormattableString.Invariant($", learningRate: {R(0.1, 1)}f, rho: {R(0.5, 0.99)}f, epsilon: {R(1e-6, 1e-4)}f, weightDecay: {R(0, 0.05)}f"));
            data.Add("RmsProp", FormattableString.Invariant($", learningRate: {R(1e-3, 2e-2)}f, alpha: {R(0.8, 0.99)}f, epsilon: {R(1e-6, 1e-3)}f, weightDecay: {R(0, 0.05)}f, momentum: {(n % 3 == 1 ? 0 : R(0.1, 0.9))}f, centered: {(flag ? "true" : "false")}"));
        }

        return data;
    }

    [Theory]
    [InlineData("Sgd", ", learningRate: 0.05f, momentum: 0.9f, nesterov: true")]
    [InlineData("Adam", ", learningRate: 0.01f, amsGrad: true")]
    [InlineData("AdamW", ", learningRate: 0.01f")]
    [InlineData("AdaGrad", ", initialAccumulator: 0.1f")]
    [InlineData("Adadelta", "")]
    [InlineData("RmsProp", ", momentum: 0.5f, centered: true")]
    public void LoadState_AfterSave_ContinuesTrainingBitwiseIdentically(string type, string settings)
    {
        Dictionary<string, object> arguments = OptimizerFactory.Parse($"new {type}(p{settings})").Arguments;
        Parameter[] original = NewTensors(seed: 1);
        Optimizer first = OptimizerFactory.Create(type, new ParameterList(original), arguments);
        var random = new Random(2);
        for (int k = 0; k < 4; k++)
        {
            SetGradients(original, random, 1f);
            first.Step();
        }

        first.LearningRate *= 0.5f; // a schedule's change must survive the round trip too
        using var stream = new MemoryStream();
        first.WriteState(stream);
        Parameter[] copy = Clone(original);
        Optimizer second = OptimizerFactory.Create(type, new ParameterList(copy), arguments);
        second.LoadState(SafeTensorsFile.Parse(stream.ToArray()));

        Assert.Equal(type == "Sgd" ? 0 : first.StepCount, second.StepCount); // PyTorch's SGD keeps no step
        Assert.Equal(first.LearningRate, second.LearningRate);
        for (int k = 0; k < 4; k++)
        {
            SetGradients(original, random, 1f);
            for (int i = 0; i < copy.Length; i++)
            {
                original[i].Grad.CopyTo(copy[i].Grad, 0);
            }

            first.Step();
            second.Step();
        }

        for (int i = 0; i < copy.Length; i++)
        {
            Assert.Equal(original[i].Data, copy[i].Data);
        }
    }

    [Fact]
    public void SaveState_UsesTorchStateDictKeysPerParameterName()
    {
        Parameter[] tensors = NewTensors(seed: 3);
        var adam = new Adam(new ParameterList(tensors), amsGrad: true);
        adam.Step();
        string path = Path.Combine(Path.GetTempPath(), $"fusedops-adam-{Guid.NewGuid():N}.safetensors");
        try
        {
            adam.SaveState(path);
            SafeTensorsFile file = SafeTensorsFile.Load(path);

            Assert.Equal("Adam", file.Metadata["optimizer"]);
            Assert.Equal("0.001", file.Metadata["lr"]);
            string[] expected = tensors.SelectMany(p => new[] { "exp_avg", "exp_avg_sq", "max_exp_avg_sq", "step" }.Select(k => $"state/{p.Name}/{k}")).Order(StringComparer.Ordinal).ToArray();
            Assert.Equal(expected, file.Names.Order(StringComparer.Ordinal).ToArray());
            Assert.Equal(new[] { 1f }, file["state/0.weight/step"].ToSingle());
            Assert.Empty(file["state/0.weight/step"].Shape);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void LoadState_FromOtherOptimizerOrShape_ThrowsNamingKeyAndLeavesStateAlone()
    {
        Parameter[] tensors = NewTensors(seed: 4);
        var sgd = new Sgd(new ParameterList(tensors), 0.1f, momentum: 0.9f);
        sgd.Step();
        using var sgdState = new MemoryStream();
        sgd.WriteState(sgdState);
        var adam = new Adam(new ParameterList(tensors));
        adam.Step();

        var wrongType = Assert.Throws<ArgumentException>(() => adam.LoadState(SafeTensorsFile.Parse(sgdState.ToArray())));
        Assert.Contains("metadata 'optimizer' must be 'Adam'", wrongType.Message, StringComparison.Ordinal);
        Assert.Contains("the file has 'Sgd'", wrongType.Message, StringComparison.Ordinal);

        var other = new Sgd(new ParameterList(new Parameter("0.weight", [3, 4], hasGrad: true), tensors[1], tensors[2]), 0.1f, momentum: 0.9f);
        var wrongShape = Assert.Throws<ArgumentException>(() => other.LoadState(SafeTensorsFile.Parse(sgdState.ToArray())));
        Assert.Contains("'state/0.weight/momentum_buffer' must have shape [3, 4], the file has [4, 3]", wrongShape.Message, StringComparison.Ordinal);

        var fewer = new Sgd(new ParameterList(tensors[0]), 0.1f, momentum: 0.9f);
        var unknown = Assert.Throws<ArgumentException>(() => fewer.LoadState(SafeTensorsFile.Parse(sgdState.ToArray())));
        Assert.Contains("is for parameter '0.bias', which this optimizer does not have", unknown.Message, StringComparison.Ordinal);

        var differentMomentum = new Sgd(new ParameterList(tensors), 0.1f, momentum: 0.5f);
        var hyper = Assert.Throws<ArgumentException>(() => differentMomentum.LoadState(SafeTensorsFile.Parse(sgdState.ToArray())));
        Assert.Contains("metadata 'momentum' must be '0.5'", hyper.Message, StringComparison.Ordinal);
        Assert.Equal(1, adam.StepCount);
    }

    [Theory]
    [InlineData("Adam", "beta1", 1f, "beta1 must be in [0, 1), got 1")]
    [InlineData("Adam", "beta2", -0.1f, "beta2 must be in [0, 1), got -0.1")]
    [InlineData("AdamW", "epsilon", -1e-8f, "epsilon must be finite and >= 0, got -1E-08")]
    [InlineData("AdamW", "learningRate", float.NaN, "learningRate must be finite and >= 0, got NaN")]
    [InlineData("AdaGrad", "learningRateDecay", -1f, "learningRateDecay must be finite and >= 0, got -1")]
    [InlineData("AdaGrad", "initialAccumulator", float.PositiveInfinity, "initialAccumulator must be finite and >= 0, got Infinity")]
    [InlineData("Adadelta", "rho", 1.5f, "rho must be in [0, 1], got 1.5")]
    [InlineData("RmsProp", "alpha", -0.5f, "alpha must be finite and >= 0, got -0.5")]
    [InlineData("RmsProp", "momentum", -0.5f, "momentum must be finite and >= 0, got -0.5")]
    [InlineData("RmsProp", "weightDecay", -0.5f, "weightDecay must be finite and >= 0, got -0.5")]
    public void Constructor_InvalidHyperparameter_ThrowsNamingItTheRangeAndTheValue(string type, string argument, float value, string message)
    {
        var ex = Assert.ThrowsAny<ArgumentException>(() => OptimizerFactory.Create(type, new ParameterList(NewTensors(0)), new Dictionary<string, object> { [argument] = value }));

        Assert.Equal(argument, ex.ParamName);
        Assert.Contains(message, ex.Message, StringComparison.Ordinal);
    }

    /// <summary>Odd lengths so every vector width leaves a tail.</summary>
    private static Parameter[] NewTensors(int seed)
    {
        var random = new Random(seed);
        Parameter[] tensors = [new("0.weight", [4, 3], hasGrad: true), new("0.bias", [5], hasGrad: true), new("2.weight", [3, 5, 3, 3], hasGrad: true)];
        foreach (Parameter p in tensors)
        {
            for (int j = 0; j < p.Length; j++)
            {
                p.Data[j] = (float)((random.NextDouble() * 2) - 1);
            }
        }

        return tensors;
    }

    private static void SetGradients(Parameter[] tensors, Random random, float scale)
    {
        foreach (Parameter p in tensors)
        {
            for (int j = 0; j < p.Length; j++)
            {
                p.Grad[j] = scale * (float)((random.NextDouble() * 2) - 1);
            }
        }
    }

    private static Parameter[] Clone(Parameter[] tensors) => tensors.Select(p =>
    {
        var c = new Parameter(p.Name, p.Shape, hasGrad: true);
        p.Data.CopyTo(c.Data, 0);
        return c;
    }).ToArray();
}
