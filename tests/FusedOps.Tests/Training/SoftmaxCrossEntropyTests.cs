using System;
using FusedOps.Training;
using Xunit;

namespace FusedOps.Tests.Training;

public sealed class SoftmaxCrossEntropyTests
{
    [Fact]
    public void Compute_SmallBatch_MatchesHandComputedLossAndGradient()
    {
        float[] logits = [1f, 2f, 3f, 1f, 1f, 1f];
        int[] labels = [2, 0];
        var gradient = new float[6];

        float loss = SoftmaxCrossEntropy.Compute(logits, labels, 2, gradient);

        // Row 0: log(e + e² + e³) − 3 = 0.40760596444438; row 1: log 3 = 1.09861228866811; mean of the two.
        Assert.Equal(0.753109126556245, loss, 6e-8);
        // softmax(1, 2, 3) = (0.0900305732, 0.2447284711, 0.6652409558); minus onehot, over batch 2.
        double[] expected = [0.0900305732 / 2, 0.2447284711 / 2, (0.6652409558 - 1) / 2, (1.0 / 3 - 1) / 2, 1.0 / 6, 1.0 / 6];
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i], gradient[i], 1e-7);
        }
    }

    [Fact]
    public void Compute_Gradient_MatchesCentralFiniteDifferences()
    {
        const int Batch = 3, Classes = 5;
        var random = new InitRandom(11);
        var logits = new float[Batch * Classes];
        random.FillUniform(logits, 3f);
        int[] labels = [4, 0, 2];
        var gradient = new float[logits.Length];

        SoftmaxCrossEntropy.Compute(logits, labels, Batch, gradient);

        for (int i = 0; i < logits.Length; i++)
        {
            float saved = logits[i];
            float up = saved + 1e-2f, down = saved - 1e-2f;
            logits[i] = up;
            double lossUp = SoftmaxCrossEntropy.Compute(logits, labels, Batch, []);
            logits[i] = down;
            double lossDown = SoftmaxCrossEntropy.Compute(logits, labels, Batch, []);
            logits[i] = saved;
            double numeric = (lossUp - lossDown) / ((double)up - down);
            Assert.True(Math.Abs(numeric - gradient[i]) < 5e-5, $"logit {i}: analytic {gradient[i]}, numeric {numeric}");
        }
    }

    [Fact]
    public void Compute_Logits1e4_StaysFiniteAndExact()
    {
        float[] logits = [1e4f, 0f, -1e4f, 1e4f, 1e4f, -1e4f];
        int[] labels = [1, 0];
        var gradient = new float[6];

        float loss = SoftmaxCrossEntropy.Compute(logits, labels, 2, gradient);

        // Row 0: 1e4 + log(1 + e^-1e4 + e^-2e4) − 0 = 1e4; row 1: log 2 (+ e^-2e4).
        Assert.Equal((1e4 + Math.Log(2)) / 2, loss, 1e-3);
        Assert.Equal(new[] { 0.5f, -0.5f, 0f, -0.25f, 0.25f, 0f }, gradient);
    }

    [Fact]
    public void Compute_LargeNegativeLogits_StayFinite()
    {
        float[] logits = [-1e4f, -1e4f - 2f];

        float loss = SoftmaxCrossEntropy.Compute(logits, [0], 1, []);

        Assert.Equal(Math.Log(1 + Math.Exp(-2)), loss, 1e-6);
    }

    [Fact]
    public void Compute_EmptyGradientSpan_ReturnsSameLoss()
    {
        float[] logits = [0.5f, -1f, 2f, 0f];
        int[] labels = [0, 1];

        float withGradient = SoftmaxCrossEntropy.Compute(logits, labels, 2, new float[4]);
        float without = SoftmaxCrossEntropy.Compute(logits, labels, 2, Span<float>.Empty);

        Assert.Equal(withGradient, without);
    }

    [Fact]
    public void Compute_NaNInOneRow_PropagatesToLossAndThatRowOnly()
    {
        float[] logits = [float.NaN, 1f, 0f, 1f];
        var gradient = new float[4];

        float loss = SoftmaxCrossEntropy.Compute(logits, [1, 0], 2, gradient);

        Assert.True(float.IsNaN(loss));
        Assert.True(float.IsNaN(gradient[0]) && float.IsNaN(gradient[1]));
        Assert.True(float.IsFinite(gradient[2]) && float.IsFinite(gradient[3]));
    }

    [Theory]
    [InlineData(0, 6, 0, 0, "batchSize", "got 0")]
    [InlineData(-2, 6, 0, 0, "batchSize", "got -2")]
    [InlineData(4, 6, 4, 0, "logits", "multiple of batchSize (4), got 6")]
    [InlineData(4, 3, 4, 0, "logits", "got 3")]
    [InlineData(2, 6, 3, 0, "labels", "equal batchSize (2), got 3")]
    [InlineData(2, 6, 2, 5, "logitsGradient", "as long as logits (6), got 5")]
    public void Compute_InvalidSizes_ThrowNamingArgumentAndWriteNothing(int batchSize, int logitCount, int labelCount, int gradientLength, string parameter, string fragment)
    {
        var logits = new float[logitCount];
        var labels = new int[labelCount];
        var gradient = new float[gradientLength];
        Array.Fill(gradient, 42f);

        var ex = Assert.ThrowsAny<ArgumentException>(() => SoftmaxCrossEntropy.Compute(logits, labels, batchSize, gradient));

        Assert.Equal(parameter, ex.ParamName);
        Assert.Contains(fragment, ex.Message, StringComparison.Ordinal);
        Assert.All(gradient, g => Assert.Equal(42f, g));
    }

    [Theory]
    [InlineData(3)]
    [InlineData(-1)]
    [InlineData(-100)]
    public void Compute_LabelOutOfRange_ThrowsBeforeWritingAnyGradient(int badLabel)
    {
        float[] logits = [1f, 2f, 3f, 4f, 5f, 6f];
        var gradient = new float[6];
        Array.Fill(gradient, 42f);

        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => SoftmaxCrossEntropy.Compute(logits, [0, badLabel], 2, gradient));

        Assert.Equal("labels", ex.ParamName);
        Assert.Contains($"labels[1] must be a class index in [0, 3)", ex.Message, StringComparison.Ordinal);
        Assert.Contains($"got {badLabel}", ex.Message, StringComparison.Ordinal);
        Assert.All(gradient, g => Assert.Equal(42f, g));
    }

    [Theory]
    [InlineData(new[] { 3f }, 0)]
    [InlineData(new[] { 1f, 5f, 2f }, 1)]
    [InlineData(new[] { -3f, -1f, -2f }, 1)]
    [InlineData(new[] { 2f, 7f, 7f, 1f }, 1)]
    [InlineData(new[] { 1f, float.NaN, 9f, float.NaN }, 1)]
    [InlineData(new[] { float.NaN, 9f }, 0)]
    [InlineData(new[] { float.NegativeInfinity, float.NegativeInfinity }, 0)]
    [InlineData(new[] { 1f, float.PositiveInfinity }, 1)]
    public void Argmax_Row_ReturnsFirstLargestWithNaNAsLargest(float[] row, int expected)
    {
        Assert.Equal(expected, SoftmaxCrossEntropy.Argmax(row));
    }

    [Fact]
    public void Argmax_EmptyRow_Throws()
    {
        var ex = Assert.Throws<ArgumentException>(() => SoftmaxCrossEntropy.Argmax([]));

        Assert.Equal("row", ex.ParamName);
    }

    [Fact]
    public void Accuracy_TwoOfThreeCorrect_ReturnsTwoThirds()
    {
        float[] logits = [0.1f, 0.9f, 0.8f, 0.2f, 0.5f, 0.6f];

        float accuracy = SoftmaxCrossEntropy.Accuracy(logits, [1, 0, 0], 3);

        Assert.Equal(2f / 3f, accuracy);
        Assert.Equal(1f, SoftmaxCrossEntropy.Accuracy(logits, [1, 0, 1], 3));
        Assert.Equal(0f, SoftmaxCrossEntropy.Accuracy(logits, [0, 1, 0], 3));
    }

    [Fact]
    public void Accuracy_LabelOutOfRange_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => SoftmaxCrossEntropy.Accuracy([1f, 2f], [2], 1));
    }
}
