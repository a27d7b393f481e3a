using System;
using System.Collections.Generic;
using System.Linq;
using FusedOps.Reference;
using Xunit;

namespace FusedOps.Tests;

/// <summary>
/// SpectralNorm as <c>torch.nn.utils.spectral_norm</c>: a training forward does one power
/// iteration from the stored u, v and keeps the result; eval uses the stored u, v and changes
/// nothing; the training gradient treats the new u and v as constants.
/// </summary>
public class ReferenceSpectralNormTests
{
    private const string Declaration = "[FusedPipeline(6)] [Linear(4, SpectralNorm = true)]";

    /// <summary>Runs training forwards until u and v are near the top singular vectors, so σ is far from 0.</summary>
    public static ReferenceModel Converged(ReferenceModel model)
    {
        var random = new Random(8);
        for (int step = 0; step < 8; step++)
        {
            float[] x = GradientCheck.RandomVector(2 * model.InputLength, 1, random).Select(v => (float)v).ToArray();
            model.Forward(x, new float[2 * model.OutputLength], 2);
        }

        return model;
    }

    [Fact]
    public void TrainingForward_DoesOnePowerIteration_AndDividesByUTransposeWV()
    {
        var model = GradientCheck.Randomize(ReferenceModel.FromDeclaration(Declaration), seed: 3);
        double[] w = Normwise.ToDouble(model.Parameters["0.weight_orig"].Data), b = Normwise.ToDouble(model.Parameters["0.bias"].Data);
        (double[] u, double[] v) = PowerIteration(w, Normwise.ToDouble(model.Buffers["0.weight_u"].Data), 4, 6);
        double sigma = Sigma(w, u, v, 4, 6);
        float[] x = [0.5f, -1, 2, 0.25f, -0.75f, 1.5f];
        var y = new float[4];

        model.Forward(x, y, 1);

        for (int o = 0; o < 4; o++)
        {
            double expected = b[o] + Enumerable.Range(0, 6).Sum(i => w[(o * 6) + i] / sigma * x[i]);
            Assert.InRange(Math.Abs(y[o] - expected), 0, 1e-5 * Math.Max(1, Math.Abs(expected)));
        }

        Assert.Equal(u.Select(e => (float)e), model.Buffers["0.weight_u"].Data);
        Assert.Equal(v.Select(e => (float)e), model.Buffers["0.weight_v"].Data);
    }

    [Fact]
    public void Eval_UsesTheStoredUAndV_AndChangesNothing()
    {
        var model = GradientCheck.Randomize(ReferenceModel.FromDeclaration(Declaration), seed: 4);
        float[] uBefore = (float[])model.Buffers["0.weight_u"].Data.Clone(), vBefore = (float[])model.Buffers["0.weight_v"].Data.Clone();
        double[] w = Normwise.ToDouble(model.Parameters["0.weight_orig"].Data), b = Normwise.ToDouble(model.Parameters["0.bias"].Data);
        double sigma = Sigma(w, Normwise.ToDouble(uBefore), Normwise.ToDouble(vBefore), 4, 6);
        double[] x = [1, -2, 0.5, 0, 3, -1];

        double[] y = model.ForwardDouble(x, 1, training: false);
        var output = new float[4];
        model.Infer(x.Select(e => (float)e).ToArray(), output, 1);

        for (int o = 0; o < 4; o++)
        {
            Assert.Equal(b[o] + Enumerable.Range(0, 6).Sum(i => w[(o * 6) + i] / sigma * x[i]), y[o], 10);
            Assert.Equal((float)y[o], output[o]);
        }

        Assert.Equal(uBefore, model.Buffers["0.weight_u"].Data);
        Assert.Equal(vBefore, model.Buffers["0.weight_v"].Data);
    }

    [Fact]
    public void TrainingGradient_IsTheEvalGradientWithTheUpdatedUAndVHeldConstant()
    {
        var model = Converged(GradientCheck.Randomize(ReferenceModel.FromDeclaration("[FusedPipeline(5)] [Linear(3, SpectralNorm = true)] [Tanh] [Linear(2)]"), seed: 5));
        double[] w = Normwise.ToDouble(model.Parameters["0.weight_orig"].Data);
        (double[] u, double[] v) = PowerIteration(w, Normwise.ToDouble(model.Buffers["0.weight_u"].Data), 3, 5);
        var random = new Random(9);
        double[] x = GradientCheck.RandomVector(3 * 5, 1, random), g = GradientCheck.RandomVector(3 * 2, 1, random);

        double[] trainOutput = model.ForwardDouble(x, 3, training: true);
        (double[] trainInput, IReadOnlyDictionary<string, double[]> trainParameters) = model.BackwardDouble(g);
        double[] evalOutput = model.ForwardDouble(x, 3, training: false, new Dictionary<string, double[]> { ["0.weight_u"] = u, ["0.weight_v"] = v });
        (double[] evalInput, IReadOnlyDictionary<string, double[]> evalParameters) = model.BackwardDouble(g);

        Assert.InRange(Normwise.MaxAbsDifference(trainOutput, evalOutput), 0, 1e-12);
        Assert.InRange(Normwise.MaxAbsDifference(trainInput, evalInput), 0, 1e-12);
        Assert.All(evalParameters, p => Assert.InRange(Normwise.MaxAbsDifference(trainParameters[p.Key], p.Value), 0, 1e-12));
        Assert.True(Normwise.MaxAbs(trainParameters["0.weight_orig"]) > 1e-3);
    }

    [Fact]
    public void Conv2d_ReshapesTheWeightToOutByInTimesKernel()
    {
        var model = GradientCheck.Randomize(ReferenceModel.FromDeclaration("[FusedPipeline(2, 3, 3)] [Conv2d(3, 3, SpectralNorm = true, Bias = false)]"), seed: 6);
        double[] w = Normwise.ToDouble(model.Parameters["0.weight_orig"].Data);
        (double[] u, double[] v) = PowerIteration(w, Normwise.ToDouble(model.Buffers["0.weight_u"].Data), 3, 18);
        double[] x = GradientCheck.RandomVector(2 * 18, 1, new Random(2));

        double[] y = model.ForwardDouble(x, 2, training: true);

        // A 3×3 kernel on a 3×3 input without padding is one dot product per output channel.
        double sigma = Sigma(w, u, v, 3, 18);
        for (int n = 0; n < 2; n++)
        {
            for (int o = 0; o < 3; o++)
            {
                Assert.Equal(Enumerable.Range(0, 18).Sum(i => w[(o * 18) + i] / sigma * x[(n * 18) + i]), y[(n * 3) + o], 10);
            }
        }
    }

    /// <summary>PyTorch's one iteration: v = normalize(Wᵀu), then u = normalize(W·v), eps 1e-12.</summary>
    private static (double[] U, double[] V) PowerIteration(double[] w, double[] u, int rows, int columns)
    {
        double[] v = Normalize(Enumerable.Range(0, columns).Select(j => Enumerable.Range(0, rows).Sum(r => w[(r * columns) + j] * u[r])).ToArray());
        double[] newU = Normalize(Enumerable.Range(0, rows).Select(r => Enumerable.Range(0, columns).Sum(j => w[(r * columns) + j] * v[j])).ToArray());
        return (newU, v);
    }

    private static double Sigma(double[] w, double[] u, double[] v, int rows, int columns) =>
        Enumerable.Range(0, rows).Sum(r => u[r] * Enumerable.Range(0, columns).Sum(j => w[(r * columns) + j] * v[j]));

    private static double[] Normalize(double[] x)
    {
        double norm = Math.Max(Math.Sqrt(x.Sum(e => e * e)), 1e-12);
        return x.Select(e => e / norm).ToArray();
    }
}
