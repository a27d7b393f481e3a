using System;
using System.Linq;
using FusedOps.Kernels;
using Xunit;

namespace FusedOps.Tests;

/// <summary>
/// <see cref="LinearKernels.MatMulNT(ref float, int, ref float, int, int, ref float, ReadOnlySpan{float})"/> when the batch is small
/// against the layer and the product runs as yᵀ = W·xᵀ with x packed: within float rounding of a double reference, bitwise the
/// product on a packed W (what it replaced: the training step's z must not change), bitwise the same at 1, 2 and 3 threads, at every
/// kernel width, on odd sizes: 14 and 65 rows of 301 → 403 and 9 rows of 300 → 37 take the swapped product, rows 1 and 3 the small
/// path (for the reference check), S1's 16 × 64 → 32 the packed W.
/// </summary>
[Collection("KernelLevel")]
public sealed class LinearSwappedProductTests
{
    public static TheoryData<int, int, int, int> Cases()
    {
        var data = new TheoryData<int, int, int, int>();
        foreach (int bits in new[] { 512, 256, 128, 0 }.Where(b => b <= KernelDispatch.HardwareBits))
        {
            foreach (int rows in new[] { 1, 3, 14, 65 })
            {
                data.Add(bits, rows, 403, 301);
            }

            data.Add(bits, 9, 37, 300);
            data.Add(bits, 16, 32, 64);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatMulNT_SmallBatch_MatchesDoubleAndThePackedWeightProduct(int bits, int rows, int cols, int length)
    {
        var random = new Random((rows * 31) + cols);
        float[] x = Values(random, rows * length), w = Values(random, cols * length), bias = Values(random, cols);
        KernelLevelCollection.AtLevel(bits, () =>
        {
            foreach (bool withBias in new[] { true, false })
            {
                float[] b = withBias ? bias : [];
                float[] y = new float[rows * cols];
                LinearKernels.MatMulNT(ref x[0], rows, ref w[0], cols, length, ref y[0], b);
                for (int r = 0; r < rows; r++)
                {
                    for (int o = 0; o < cols; o++)
                    {
                        double sum = withBias ? bias[o] : 0, magnitude = Math.Abs(sum);
                        for (int t = 0; t < length; t++)
                        {
                            double term = (double)x[(r * length) + t] * w[(o * length) + t];
                            sum += term;
                            magnitude += Math.Abs(term);
                        }

                        Assert.True(Math.Abs(sum - y[(r * cols) + o]) <= ((length + 2) * 1.2e-7 * magnitude) + 1e-7, $"y[{r},{o}] = {y[(r * cols) + o]}, expected {sum}");
                    }
                }

                if (rows >= 8)
                {
                    // The product on W packed (scale 1 is exact): the same sums in the same order, so the same bits.
                    float[] packed = new float[rows * cols];
                    LinearKernels.Infer(default(IdentityOperator), ref x[0], rows, w, LinearKernels.PackWeights(w, cols, length), cols, length, ref packed[0],
                        Enumerable.Repeat(1f, cols).ToArray(), withBias ? bias : new float[cols]);
                    Assert.Equal(withBias ? packed : packed.Select(v => v + 0f).ToArray(), withBias ? y : y.Select(v => v + 0f).ToArray());
                }
            }
        });
    }

    [Theory]
    [InlineData(512)]
    [InlineData(256)]
    [InlineData(128)]
    [InlineData(0)]
    public void MatMulNT_SmallBatch_AnyDegreeOfParallelism_BitwiseIdentical(int bits)
    {
        const int rows = 65, cols = 403, length = 301;
        var random = new Random(5);
        float[] x = Values(random, rows * length), w = Values(random, cols * length), bias = Values(random, cols);
        KernelLevelCollection.AtLevel(bits, () =>
        {
            float[] Product(int threads)
            {
                float[] y = new float[rows * cols];
                KernelLevelCollection.AtThreads(threads, () => LinearKernels.MatMulNT(ref x[0], rows, ref w[0], cols, length, ref y[0], bias));
                return y;
            }

            float[] one = Product(1);
            Assert.Equal(one, Product(2));
            Assert.Equal(one, Product(3));
        });
    }

    [Fact]
    public void MatMulNT_SmallBatch_SteadyState_AllocatesNothing()
    {
        const int rows = 64, cols = 256, length = 784;
        var random = new Random(8);
        float[] x = Values(random, rows * length), w = Values(random, cols * length), bias = Values(random, cols), y = new float[rows * cols];
        LinearKernels.MatMulNT(ref x[0], rows, ref w[0], cols, length, ref y[0], bias);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 5; i++)
        {
            LinearKernels.MatMulNT(ref x[0], rows, ref w[0], cols, length, ref y[0], bias);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    private static float[] Values(Random random, int count) => Enumerable.Range(0, count).Select(_ => random.NextSingle() - 0.5f).ToArray();
}
