using System;
using System.Linq;
using FusedOps.Kernels;
using Xunit;

namespace FusedOps.Tests;

/// <summary>
/// The column-operator kernels of <see cref="PackedGemm"/> (which finish a tile out of line from its parked accumulators) on
/// shapes that reach every tile: 12- and 6-row tiles, partial row tiles, two panels with a partial second panel, an odd
/// last panel, whole and partial; bit for bit what the standalone operators give on the plain kernels' output, at every width.
/// </summary>
[Collection("KernelLevel")]
public sealed class PackedGemmColumnTilesTests
{
    private const int Length = 7;

    public static TheoryData<int, int, int> Cases()
    {
        var data = new TheoryData<int, int, int>();
        foreach (int bits in new[] { 512, 256, 128, 0 }.Where(b => b <= KernelDispatch.HardwareBits))
        {
            // 12 rows: one 12-row tile; 19: 12 + 6 + 1; 31: 12 + 12 + 6 + 1 (6 + 6 + … at 256, 3 + … at 128).
            foreach (int rows in new[] { 12, 19, 31 })
            {
                // 20: two panels, the second of 4 columns; 48: two panels and an odd whole one; 53: four panels, the last of 5.
                foreach (int cols in new[] { 20, 48, 53 })
                {
                    data.Add(bits, rows, cols);
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void InferColumns_EveryTile_MatchesTheStandaloneOperatorsBitwise(int bits, int rows, int cols) => KernelLevelCollection.AtLevel(bits, () =>
    {
        var random = new Random((rows * 100) + cols);
        float[] x = Random(random, rows * Length, -0.5f), w = Random(random, cols * Length, -0.5f);
        float[] scale = Random(random, cols, 0.5f), shift = Random(random, cols, -0.5f), slopes = Random(random, cols, 0f);
        float[] packed = LinearKernels.PackWeights(w, cols, Length);
        float[] plain = new float[rows * cols];
        LinearKernels.Infer(default(IdentityOperator), ref x[0], rows, w, packed, cols, Length, ref plain[0], scale, shift);
        foreach (ColumnOperator column in new[] { ColumnOperator.Slope, ColumnOperator.Bipolar })
        {
            float[] expected = plain.Select((v, i) => column == ColumnOperator.Slope
                ? new PReluOperator(slopes[i % cols]).Invoke(v)
                : new BipolarReluOperator(i % cols % 2 == 1).Invoke(v)).ToArray();
            float[] actual = new float[rows * cols];
            LinearKernels.InferColumns(default(IdentityOperator), ref x[0], rows, w, packed, cols, Length, ref actual[0], scale, shift, column, slopes);
            Assert.Equal(expected.Select(BitConverter.SingleToInt32Bits), actual.Select(BitConverter.SingleToInt32Bits));
        }
    });

    [Theory]
    [MemberData(nameof(Cases))]
    public void InferMaxout_EveryTile_MatchesTheMaxoutOfThePlainOutputBitwise(int bits, int rows, int features) => KernelLevelCollection.AtLevel(bits, () =>
    {
        var random = new Random((rows * 100) + features);
        float[] x = Random(random, rows * Length, -0.5f), w = Random(random, features * Length, -0.5f);
        float[] scale = Random(random, features, 0.5f), shift = Random(random, features, -0.5f);
        float[] plain = new float[rows * features];
        LinearKernels.Infer(default(IdentityOperator), ref x[0], rows, w, LinearKernels.PackWeights(w, features, Length), features, Length, ref plain[0], scale, shift);
        foreach (int pieces in new[] { 2, 4 }.Where(p => features % p == 0))
        {
            // Output o is the first maximum of features o·pieces … o·pieces + pieces − 1 (no NaN or tie in these data).
            int outCols = features / pieces;
            float[] expected = new float[rows * outCols];
            for (int i = 0; i < expected.Length; i++)
            {
                int r = i / outCols, o = i % outCols;
                float m = plain[(r * features) + (o * pieces)];
                for (int k = 1; k < pieces; k++)
                {
                    float v = plain[(r * features) + (o * pieces) + k];
                    m = v > m ? v : m;
                }

                expected[i] = m;
            }

            int cols = LinearKernels.MaxoutColumns(features, pieces);
            float[] ordered = LinearKernels.MaxoutOrder(w, features, Length, pieces);
            float[] orderedScale = LinearKernels.MaxoutOrder(scale, features, 1, pieces), orderedShift = LinearKernels.MaxoutOrder(shift, features, 1, pieces);
            float[] actual = new float[expected.Length];
            LinearKernels.InferMaxout(default(IdentityOperator), ref x[0], rows, ordered, LinearKernels.PackWeights(ordered, cols, Length), cols, Length,
                ref actual[0], outCols, orderedScale, orderedShift, pieces);
            Assert.Equal(expected.Select(BitConverter.SingleToInt32Bits), actual.Select(BitConverter.SingleToInt32Bits));
        }
    });

    private static float[] Random(Random random, int n, float offset) => Enumerable.Range(0, n).Select(_ => random.NextSingle() + offset).ToArray();
}
