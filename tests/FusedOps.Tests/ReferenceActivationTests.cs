using System;
using System.Linq;
using FusedOps.Reference;
using Xunit;

namespace FusedOps.Tests;

/// <summary>Activation values and derivatives against numbers computed independently (Python's math module), including PyTorch's choices at kinks.</summary>
public class ReferenceActivationTests
{
    public static TheoryData<string, double, double> Values() => new()
    {
        { "Identity", -1.25, -1.25 },
        { "ReLU", -2, 0 },
        { "ReLU", 1.5, 1.5 },
        { "LeakyReLU", -2, -0.02 },
        { "LeakyReLU(NegativeSlope = 0.2f)", -2, -0.4 },
        { "ELU", -1, -0.6321205588285577 },
        { "ELU", 2, 2 },
        { "SELU", -1, -1.1113307378125625 },
        { "SELU", 2, 2.101401974710961 },
        { "GELU", 1, 0.8413447460685429 },
        { "GELU", -1, -0.15865525393145707 },
        { "GELU(Approximate = true)", 1, 0.8411919906082768 },
        { "GELU(Approximate = true)", -2, -0.04540230591222494 },
        { "Sigmoid", 0, 0.5 },
        { "Tanh", 1, 0.7615941559557649 },
        { "ArcTan", 1, 0.7853981633974483 },
        { "Softsign", 3, 0.75 },
        { "Softsign", -1, -0.5 },
        { "SiLU", 1, 0.7310585786300049 },
        { "Swish(Beta = 2f)", 1, 0.8807970779778823 },
        { "Mish", 1, 0.8650983882673103 },
        { "Mish", -2, -0.2525014826957089 },
        { "Softplus", 1, 1.3132616875182228 },
        { "Softplus", 30, 30 },
        { "Softplus(Beta = 2f, Threshold = 3f)", 1, 1.0634640055214863 },
        { "Softplus(Beta = 2f, Threshold = 3f)", 2, 2 },
        { "HardSigmoid", 1, 4.0 / 6 },
        { "HardSigmoid", -4, 0 },
        { "HardSigmoid", 4, 1 },
        { "HardSwish", 1, 4.0 / 6 },
        { "HardSwish", -4, 0 },
        { "HardSwish", 4, 4 },
        { "HardTanh", -3, -1 },
        { "HardTanh", 0.5, 0.5 },
        { "HardTanh(Min = 0f, Max = 6f)", 7, 6 },
        { "Isru", 1, 0.7071067811865475 },
        { "Isru(Alpha = 0.3f)", 2, 1.348399724926484 },
        { "Isrlu", -1, -0.7071067811865475 },
        { "Isrlu", 2, 2 },
        { "SquareNonlinearity", 1, 0.75 },
        { "SquareNonlinearity", -1, -0.75 },
        { "SquareNonlinearity", 3, 1 },
        { "SquareNonlinearity", -3, -1 },
        { "BinaryStep", 0, 1 },
        { "BinaryStep", -0.1, 0 },
        { "PReLU", -2, -0.5 },
        { "PReLU(Init = 0.1f)", -2, -2 * (double)0.1f },   // a float32 parameter
        { "RReLU", -2, -2 * ((0.125 + 0.33333334) / 2) },   // Upper = 0.33333334f, taken as the decimal it prints as
        { "Dropout", -2, -2 },
    };

    // Derivatives where PyTorch had to pick a side, or where the formula is easy to get wrong.
    public static TheoryData<string, double, double> Derivatives() => new()
    {
        { "ReLU", 0, 0 },
        { "LeakyReLU", 0, 0.01 },
        { "HardSwish", -3, -0.5 },
        { "HardSwish", 3, 1.5 },
        { "HardSwish", 1, (1.0 / 3) + 0.5 },
        { "HardSigmoid", 3, 0 },
        { "HardSigmoid", -3, 0 },
        { "HardSigmoid", 0, 1.0 / 6 },
        { "HardTanh", 1, 0 },
        { "HardTanh", -1, 0 },
        { "ELU", 0, 1 },
        { "GELU", 0, 0.5 },
        { "Softplus(Beta = 2f, Threshold = 3f)", 2, 1 },
        { "SquareNonlinearity", 1, 0.5 },
        { "Isru", 1, 0.35355339059327373 },
        { "BinaryStep", 0.5, 0 },
    };

    [Theory]
    [MemberData(nameof(Values))]
    public void Activation_EvalValue_MatchesIndependentComputation(string activation, double x, double expected)
    {
        var model = ReferenceModel.FromDeclaration($"[FusedPipeline(1)] [{activation}]");

        Assert.Equal(expected, model.ForwardDouble([x], 1, training: false)[0], 1e-14);
    }

    [Theory]
    [MemberData(nameof(Derivatives))]
    public void Activation_Derivative_MatchesPyTorch(string activation, double x, double expected)
    {
        var model = ReferenceModel.FromDeclaration($"[FusedPipeline(1)] [{activation}]");
        model.ForwardDouble([x], 1, training: false);

        Assert.Equal(expected, model.BackwardDouble([1]).InputGrad[0], 1e-14);
    }

    [Fact]
    public void Erf_MatchesKnownValues()
    {
        // GELU(x) = x·(1 + erf(x/√2))/2, so erf(v) = 2·GELU(v√2)/(v√2) − 1.
        var model = ReferenceModel.FromDeclaration("[FusedPipeline(5)] [GELU]");
        double[] v = [0.5, 1, 2, 3, 5.5];
        double[] x = v.Select(t => t * Math.Sqrt(2)).ToArray();
        double[] y = model.ForwardDouble(x, 1, training: false);
        double[] erf = y.Select((g, i) => (2 * g / x[i]) - 1).ToArray();

        ReferenceTests.AssertClose([0.5204998778130465, 0.8427007929497149, 0.9953222650189527, 0.9999779095030014, 0.9999999999999927], erf, 1e-15);
    }

    [Fact]
    public void Activation_NaN_Propagates()
    {
        foreach (string activation in new[] { "ReLU", "GELU", "Sigmoid", "HardSwish", "Mish", "Softplus", "ELU" })
        {
            var model = ReferenceModel.FromDeclaration($"[FusedPipeline(1)] [{activation}]");
            var output = new float[1];
            model.Infer([float.NaN], output, 1);
            Assert.True(float.IsNaN(output[0]), activation);
        }
    }

    [Fact]
    public void Dropout_Training_ZeroesAboutPAndScalesTheRestByOneOverOneMinusP()
    {
        var model = ReferenceModel.FromDeclaration("[FusedPipeline(1000)] [Dropout(P = 0.3f)]");
        float[] input = Enumerable.Repeat(1f, 2000).ToArray();
        var output = new float[2000];

        model.Forward(input, output, 2);

        int dropped = output.Count(v => v == 0);
        Assert.InRange(dropped, 520, 680);   // 600 expected; ±3 standard deviations is ±61
        Assert.All(output.Where(v => v != 0), v => Assert.Equal(1 / 0.7f, v, 1e-6f));
        var inferred = new float[2000];
        model.Infer(input, inferred, 2);
        Assert.Equal(input, inferred);
    }

    [Fact]
    public void TrainingRandomness_IsDeterministic_AndForwardDoublePreviewsTheNextForward()
    {
        const string Declaration = "[FusedPipeline(50)] [Dropout] [RReLU]";
        double[] x = Enumerable.Range(0, 100).Select(i => (i % 3) - 1.5).ToArray();
        float[] xs = x.Select(v => (float)v).ToArray();
        var a = ReferenceModel.FromDeclaration(Declaration, seed: 4);
        var b = ReferenceModel.FromDeclaration(Declaration, seed: 4);
        var first = new float[100];
        var second = new float[100];
        var fromB = new float[100];

        double[] preview = a.ForwardDouble(x, 2, training: true);
        Assert.Equal(preview, a.ForwardDouble(x, 2, training: true));
        a.Forward(xs, first, 2);
        a.Forward(xs, second, 2);
        b.Forward(xs, fromB, 2);

        Assert.Equal(preview.Select(v => (float)v), first);
        Assert.Equal(first, fromB);
        Assert.NotEqual(first, second);
    }

    [Fact]
    public void RReLU_Training_DrawsSlopesBetweenLowerAndUpper()
    {
        var model = ReferenceModel.FromDeclaration("[FusedPipeline(200)] [RReLU(Lower = 0.2f, Upper = 0.4f)]");
        double[] y = model.ForwardDouble(Enumerable.Repeat(-1.0, 200).ToArray(), 1, training: true);

        Assert.All(y, v => Assert.InRange(-v, 0.2, 0.4));
        Assert.True(y.Distinct().Count() > 100);
    }
}
