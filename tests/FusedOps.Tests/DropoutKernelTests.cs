using System;
using FusedOps.Kernels;
using Xunit;

namespace FusedOps.Tests;

/// <summary>
/// <see cref="Dropout.Forward"/> takes its draws by position, 8 or 16 at a time in vectors: its masks must be, bit for bit, one
/// <see cref="InitRandom.NextSingle"/> per element in order (the stream the reference interpreter draws), at every vector width
/// and for every tail length, and it must leave the stream where those draws would. <see cref="Dropout.Backward"/>'s vector loop
/// must give the scalar products.
/// </summary>
[Collection("KernelLevel")]
public sealed class DropoutKernelTests
{
    public static TheoryData<int> Widths => new() { 0, 128, 256, 512 };

    [Theory]
    [MemberData(nameof(Widths))]
    public void Forward_AnyWidthAndLength_TheMasksOfOneDrawPerElementInOrder(int bits)
    {
        KernelLevelCollection.AtLevel(bits, () =>
        {
            // Besides round values, p equal to draws 0, 5, 16 and 20 of a stream (a draw equal to p is kept): the thresholds' edge.
            InitRandom exact = Dropout.Stream(9, 1);
            float[] draws = new float[21];
            for (int i = 0; i < draws.Length; i++)
            {
                draws[i] = exact.NextSingle();
            }

            foreach (float p in new[] { 0f, 0.25f, 0.5f, 0.9f, 1e-7f, 0.99999994f, draws[0], draws[5], draws[16], draws[20] })
            {
                foreach (int count in new[] { 0, 1, 7, 8, 9, 15, 16, 17, 31, 33, 100, 8192 + 13 })
                {
                    foreach (int step in new[] { 0, 1, 77 })
                    {
                        Check(count, p, step);
                    }
                }
            }
        });
    }

    [Fact]
    public void Forward_NaNInput_StaysNaNWhenDropped_AndOutputMayAliasInput()
    {
        const int count = 45;
        float[] x = new float[count], factor = new float[count];
        Array.Fill(x, float.NaN);
        Dropout.Forward(ref x[0], ref x[0], ref factor[0], count, 0.5f, Dropout.Stream(3, 4));
        Assert.All(x, v => Assert.True(float.IsNaN(v)));
        Assert.Contains(0f, factor);
        Assert.Contains(2f, factor);
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public void Backward_AnyWidthAndLength_TheScalarProducts(int bits)
    {
        KernelLevelCollection.AtLevel(bits, () =>
        {
            var rng = new Random(11);
            foreach (int count in new[] { 1, 7, 8, 15, 16, 17, 40, 1000 + 3 })
            {
                float[] dy = new float[count], factor = new float[count], dx = new float[count];
                for (int i = 0; i < count; i++)
                {
                    dy[i] = (float)(rng.NextDouble() - 0.5);
                    factor[i] = rng.Next(2) == 0 ? 0f : 1f / 0.75f;
                }

                Dropout.Backward(ref dy[0], ref factor[0], ref dx[0], count);
                for (int i = 0; i < count; i++)
                {
                    Assert.Equal(BitConverter.SingleToInt32Bits(dy[i] * factor[i]), BitConverter.SingleToInt32Bits(dx[i]));
                }
            }
        });
    }

    private static void Check(int count, float p, int step)
    {
        var rng = new Random(count + step);
        float[] x = new float[count + 1], y = new float[count + 1], factor = new float[count + 1];
        for (int i = 0; i < count; i++)
        {
            x[i] = (float)(rng.NextDouble() - 0.5);
        }

        InitRandom stream = Dropout.Stream(9, step), expected = Dropout.Stream(9, step);
        Dropout.Forward(ref x[0], ref y[0], ref factor[0], count, p, stream);
        float keep = (float)(1.0 / (1.0 - p));
        for (int i = 0; i < count; i++)
        {
            float f = expected.NextSingle() >= p ? keep : 0f;
            Assert.True(f == factor[i], $"p {p}, count {count}, step {step}: element {i}'s factor is {factor[i]}, one draw per element gives {f}.");
            Assert.Equal(BitConverter.SingleToInt32Bits(x[i] * f), BitConverter.SingleToInt32Bits(y[i]));
        }

        Assert.Equal(0f, y[count]);
        Assert.Equal(0f, factor[count]);
        Assert.Equal(expected.NextUInt64(), stream.NextUInt64());
    }
}
