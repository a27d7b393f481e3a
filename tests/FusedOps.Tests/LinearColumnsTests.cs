using System;
using System.Linq;
using FusedOps.Kernels;
using Xunit;

namespace FusedOps.Tests;

/// <summary>
/// <see cref="LinearKernels.InferColumns{TAct}"/>: the per-feature PReLU or BipolarReLU in the packed GEMM's epilogue gives,
/// element for element, what the standalone operators give on <see cref="LinearKernels.Infer{TAct}"/>'s output, at every
/// kernel width, frozen and unfrozen, for whole and partial panels, with ±∞ and NaN among the products; and
/// <see cref="LinearKernels.InferMaxout{TAct}"/> against the Maxout of <see cref="LinearKernels.Infer{TAct}"/>'s output.
/// </summary>
[Collection("KernelLevel")]
public sealed class LinearColumnsTests
{
    public static TheoryData<int, int> Cases()
    {
        var data = new TheoryData<int, int>();
        foreach (int level in new[] { 512, 256, 128, 0 }.Where(l => l <= KernelDispatch.HardwareBits))
        {
            foreach (int rows in new[] { 1, 3, 8, 13 })
            {
                data.Add(level, rows);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void InferColumns_MatchesTheStandaloneOperators(int vectorBits, int rows)
    {
        const int cols = 37, length = 5;
        var random = new Random(rows);
        float[] x = Enumerable.Range(0, rows * length).Select(_ => random.NextSingle() - 0.5f).ToArray();
        float[] w = Enumerable.Range(0, cols * length).Select(_ => random.NextSingle() - 0.5f).ToArray();
        float[] scale = Enumerable.Range(0, cols).Select(_ => random.NextSingle() + 0.5f).ToArray();
        float[] shift = Enumerable.Range(0, cols).Select(_ => random.NextSingle() - 0.5f).ToArray();
        float[] slopes = Enumerable.Range(0, cols).Select(_ => random.NextSingle()).ToArray();

        // Column 4 is −∞ and column 21 (odd: BipolarReLU's negated side) +∞, which BipolarReLU maps to 0; column 6 is NaN.
        shift[4] = float.NegativeInfinity;
        shift[21] = float.PositiveInfinity;
        shift[6] = float.NaN;

        int saved = KernelOptions.MaxVectorBits;
        try
        {
            KernelOptions.MaxVectorBits = vectorBits;
            float[] packed = LinearKernels.PackWeights(w, cols, length);
            foreach (float[] packedW in new[] { Array.Empty<float>(), packed })
            {
                // The same product path (dot products, or the packed GEMM) with and without the column operator.
                float[] plain = new float[rows * cols];
                LinearKernels.Infer(default(IdentityOperator), ref x[0], rows, w, packedW, cols, length, ref plain[0], scale, shift);
                foreach (ColumnOperator column in new[] { ColumnOperator.Slope, ColumnOperator.Bipolar })
                {
                    float[] expected = plain.Select((v, i) => column == ColumnOperator.Slope
                        ? new PReluOperator(slopes[i % cols]).Invoke(v)
                        : new BipolarReluOperator(i % cols % 2 == 1).Invoke(v)).ToArray();
                    float[] actual = new float[rows * cols];
                    LinearKernels.InferColumns(default(IdentityOperator), ref x[0], rows, w, packedW, cols, length, ref actual[0], scale, shift, column, slopes);
                    Assert.Equal(expected, actual);
                    if (column == ColumnOperator.Bipolar)
                    {
                        Assert.Equal(0f, actual[4]);
                        Assert.Equal(0f, actual[21]);
                    }
                }
            }
        }

        finally
        {
            KernelOptions.MaxVectorBits = saved;
        }
    }

    [Fact]
    public void InferColumns_TooFewSlopes_ThrowsNamingSlopes()
    {
        float[] x = new float[4], w = new float[8], y = new float[2], ones = [1f, 1f];
        var error = Assert.Throws<ArgumentException>(() =>
            LinearKernels.InferColumns(default(IdentityOperator), ref x[0], 1, w, ReadOnlySpan<float>.Empty, 2, 4, ref y[0], ones, ones, ColumnOperator.Slope, new float[1]));
        Assert.Equal("slopes", error.ParamName);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void InferMaxout_TakesTheFirstMaximumOfEachRun_NaNWins(int vectorBits, int rows)
    {
        const int features = 38, length = 5, pieces = 2;
        var random = new Random(rows);
        float[] x = Enumerable.Range(0, rows * length).Select(_ => random.NextSingle() - 0.5f).ToArray();
        float[] w = Enumerable.Range(0, features * length).Select(_ => random.NextSingle() - 0.5f).ToArray();
        float[] scale = Enumerable.Range(0, features).Select(_ => random.NextSingle() + 0.5f).ToArray();
        float[] shift = Enumerable.Range(0, features).Select(_ => random.NextSingle() - 0.5f).ToArray();
        shift[5] = float.NaN;                    // output 2's second piece: NaN wins
        shift[8] = float.NegativeInfinity;       // output 4: its first piece is −∞ before the ReLU

        int saved = KernelOptions.MaxVectorBits;
        try
        {
            KernelOptions.MaxVectorBits = vectorBits;
            float[] plain = new float[rows * features];
            LinearKernels.Infer(default(ReluOperator), ref x[0], rows, w, LinearKernels.PackWeights(w, features, length), features, length, ref plain[0], scale, shift);
            float[] expected = new float[rows * features / pieces];
            for (int i = 0; i < expected.Length; i++)
            {
                float a = plain[2 * i], b = plain[(2 * i) + 1];
                expected[i] = b > a || float.IsNaN(b) ? b : a;
            }

            int cols = LinearKernels.MaxoutColumns(features, pieces);
            float[] ordered = LinearKernels.MaxoutOrder(w, features, length, pieces);
            float[] orderedScale = LinearKernels.MaxoutOrder(scale, features, 1, pieces), orderedShift = LinearKernels.MaxoutOrder(shift, features, 1, pieces);
            foreach (float[] packedW in new[] { Array.Empty<float>(), LinearKernels.PackWeights(ordered, cols, length) })
            {
                float[] actual = new float[expected.Length];
                LinearKernels.InferMaxout(default(ReluOperator), ref x[0], rows, ordered, packedW, cols, length, ref actual[0], features / pieces, orderedScale, orderedShift, pieces);
                Assert.Equal(expected, actual);
                Assert.True(float.IsNaN(actual[2]));
            }
        }
        finally
        {
            KernelOptions.MaxVectorBits = saved;
        }
    }

    [Fact]
    public void MaxoutOrder_PiecesNotDividingTheFeatures_ThrowsNamingPieces()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => LinearKernels.MaxoutOrder(new float[7], 7, 1, 3));
        Assert.Equal("pieces", error.ParamName);
    }

    [Fact]
    public void MaxoutOrder_PiecesNotDividingAPanel_BlockedOrder()
    {
        // 19 outputs of 3 pieces: one block of 16 outputs in 3 panels (panel k: piece k of outputs 0…15), then the last 3 outputs
        // piece-major (piece k of output 16 + j at column 48 + 3k + j) and zero rows to a whole panel.
        float[] rows = Enumerable.Range(1, 57).Select(i => (float)i).ToArray();
        float[] ordered = LinearKernels.MaxoutOrder(rows, 57, 1, 3);
        Assert.Equal(64, LinearKernels.MaxoutColumns(57, 3));
        Assert.Equal(64, ordered.Length);
        for (int k = 0; k < 3; k++)
        {
            for (int j = 0; j < 16; j++)
            {
                Assert.Equal(rows[(j * 3) + k], ordered[(k * 16) + j]);
            }

            for (int j = 0; j < 3; j++)
            {
                Assert.Equal(rows[((16 + j) * 3) + k], ordered[48 + (k * 3) + j]);
            }
        }

        Assert.All(ordered.Skip(57), v => Assert.Equal(0f, v));
    }
}
