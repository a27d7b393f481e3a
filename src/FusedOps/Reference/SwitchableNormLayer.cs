using System;
using System.Linq;

namespace FusedOps.Reference;

/// <summary>
/// <c>SwitchableNorm</c> (Luo et al. 2018) on <c>[C, H, W]</c>. Three sets of biased statistics:
/// IN per (sample, channel) over H·W, LN per sample over C·H·W, BN per channel over N·H·W (the
/// running statistics in eval). μ = Σₖ softmax(mean_weight)ₖ·μₖ and σ² = Σₖ softmax(var_weight)ₖ·σ²ₖ
/// in the order IN, LN, BN; y = γ(x − μ)/√(σ² + ε) + β. A training pass updates the running
/// statistics as BatchNorm does (the variance made unbiased by n/(n − 1)).
/// </summary>
internal sealed class SwitchableNormLayer : RefLayer
{
    private const int In = 0, Ln = 1, Bn = 2;
    private readonly double _epsilon;
    private readonly double _momentum;
    private readonly int _channels;
    private readonly int _spatial;

    private SwitchableNormLayer(int index, string description, int[] inputShape, SwitchableNormAttribute a)
        : base(index, description, inputShape, inputShape)
    {
        (_epsilon, _momentum) = (RefMath.Hyper(a.Epsilon), RefMath.Hyper(a.Momentum));
        (_channels, _spatial) = (inputShape[0], inputShape[1] * inputShape[2]);
        Parameters = [NewParameter("weight", _channels), NewParameter("bias", _channels), NewParameter("mean_weight", 3), NewParameter("var_weight", 3)];
        Buffers = [NewBuffer("running_mean", _channels), NewBuffer("running_var", _channels)];
    }

    public static SwitchableNormLayer Create(int index, string description, SwitchableNormAttribute a, int[] inputShape) =>
        inputShape.Length == 3
            ? new SwitchableNormLayer(index, description, inputShape, a)
            : throw LayerFactory.ShapeError(index, description, inputShape, "SwitchableNorm needs a rank-3 [C, H, W] input");

    public override void Initialize(InitRandom random)
    {
        Array.Fill(Parameters[0].Data, 1f);
        Array.Fill(Parameters[1].Data, 0f);
        Array.Fill(Parameters[2].Data, 1f);
        Array.Fill(Parameters[3].Data, 1f);
        Array.Fill(Buffers[0].Data, 0f);
        Array.Fill(Buffers[1].Data, 1f);
    }

    public override string? CheckBatch(int batch, bool training) => BatchNormLayer.CheckBatchStatistics(this, _spatial, batch, training);

    /// <summary>
    /// Means and biased variances of each kind (IN, LN, BN), broadcast to every (sample, channel):
    /// e.g. LN's mean of sample n sits in every channel of n; and the softmax mixing weights.
    /// </summary>
    private sealed record Statistics(double[][] Mean, double[][] Variance, double[] MeanMix, double[] VarianceMix);

    private sealed record Saved(Statistics Stats, double[] Mean, double[] InvStd, double[] Normalized);

    public override double[] Forward(LayerContext context, double[] input)
    {
        int batch = context.Batch;
        Statistics stats = ComputeStatistics(context, input);
        var mean = new double[batch * _channels];
        var invStd = new double[batch * _channels];
        for (int nc = 0; nc < mean.Length; nc++)
        {
            double variance = 0;
            for (int k = 0; k < 3; k++)
            {
                mean[nc] += stats.MeanMix[k] * stats.Mean[k][nc];
                variance += stats.VarianceMix[k] * stats.Variance[k][nc];
            }

            invStd[nc] = 1.0 / Math.Sqrt(variance + _epsilon);
        }

        double[] gamma = context.Parameters[0], beta = context.Parameters[1];
        var normalized = new double[input.Length];
        var output = new double[input.Length];
        for (int i = 0; i < input.Length; i++)
        {
            int nc = i / _spatial;
            normalized[i] = (input[i] - mean[nc]) * invStd[nc];
            output[i] = (gamma[nc % _channels] * normalized[i]) + beta[nc % _channels];
        }

        context.Saved = new Saved(stats, mean, invStd, normalized);
        return output;
    }

    private Statistics ComputeStatistics(LayerContext context, double[] x)
    {
        int batch = context.Batch;
        var instanceMean = new double[batch * _channels];
        var instanceVariance = new double[batch * _channels];
        for (int nc = 0; nc < instanceMean.Length; nc++)
        {
            ReadOnlySpan<double> values = x.AsSpan(nc * _spatial, _spatial);
            instanceMean[nc] = Average(values);
            instanceVariance[nc] = BiasedVariance(values, instanceMean[nc]);
        }

        var layerMean = new double[batch * _channels];
        var layerVariance = new double[batch * _channels];
        for (int n = 0; n < batch; n++)
        {
            ReadOnlySpan<double> values = x.AsSpan(n * InputLength, InputLength);
            double m = Average(values);
            double v = BiasedVariance(values, m);
            layerMean.AsSpan(n * _channels, _channels).Fill(m);
            layerVariance.AsSpan(n * _channels, _channels).Fill(v);
        }

        var batchMean = new double[batch * _channels];
        var batchVariance = new double[batch * _channels];
        double[][]? updated = context.Training ? [new double[_channels], new double[_channels]] : null;
        for (int c = 0; c < _channels; c++)
        {
            double m, v;
            if (updated is null)
            {
                (m, v) = (context.Buffers[0][c], context.Buffers[1][c]);
            }
            else
            {
                var values = new double[batch * _spatial];
                for (int n = 0; n < batch; n++)
                {
                    x.AsSpan(((n * _channels) + c) * _spatial, _spatial).CopyTo(values.AsSpan(n * _spatial));
                }

                m = Average(values);
                v = BiasedVariance(values, m);
                double unbiased = v * values.Length / (values.Length - 1);
                updated[0][c] = ((1 - _momentum) * context.Buffers[0][c]) + (_momentum * m);
                updated[1][c] = ((1 - _momentum) * context.Buffers[1][c]) + (_momentum * unbiased);
            }

            for (int n = 0; n < batch; n++)
            {
                (batchMean[(n * _channels) + c], batchVariance[(n * _channels) + c]) = (m, v);
            }
        }

        context.UpdatedBuffers = updated;
        return new Statistics(
            [instanceMean, layerMean, batchMean],
            [instanceVariance, layerVariance, batchVariance],
            Softmax(context.Parameters[2]),
            Softmax(context.Parameters[3]));
    }

    /// <summary>
    /// Through x̂ = (x − μ)·r to μ and σ², through the mixtures to each kind's μₖ and σ²ₖ and the
    /// mixing logits, and from each μₖ, σ²ₖ back to the x it was computed over: ∂μₖ/∂x = 1/count,
    /// ∂σ²ₖ/∂x = 2(x − μₖ)/count. Eval-mode BN statistics are constants.
    /// </summary>
    public override double[] Backward(LayerContext context, double[] outputGradient, double[][] parameterGradients)
    {
        var saved = (Saved)context.Saved!;
        Statistics stats = saved.Stats;
        double[] x = context.Input, gamma = context.Parameters[0];
        int batch = context.Batch;

        // ∂L/∂μ and ∂L/∂σ² per (sample, channel); γ and β gradients on the way.
        var gradMean = new double[batch * _channels];
        var gradVariance = new double[batch * _channels];
        var gradNormalized = new double[x.Length];
        for (int i = 0; i < x.Length; i++)
        {
            int nc = i / _spatial, c = nc % _channels;
            parameterGradients[0][c] += outputGradient[i] * saved.Normalized[i];
            parameterGradients[1][c] += outputGradient[i];
            gradNormalized[i] = outputGradient[i] * gamma[c];
            gradMean[nc] -= gradNormalized[i] * saved.InvStd[nc];
            gradVariance[nc] -= 0.5 * gradNormalized[i] * saved.Normalized[i] * saved.InvStd[nc] * saved.InvStd[nc];
        }

        // Each kind's statistic gets the mixture weight times the gradient of every (n, c) it was broadcast to.
        var kindGradMean = new double[3][];
        var kindGradVariance = new double[3][];
        var gradMeanMix = new double[3];
        var gradVarianceMix = new double[3];
        for (int k = 0; k < 3; k++)
        {
            kindGradMean[k] = Array.ConvertAll(gradMean, g => g * stats.MeanMix[k]);
            kindGradVariance[k] = Array.ConvertAll(gradVariance, g => g * stats.VarianceMix[k]);
            for (int nc = 0; nc < gradMean.Length; nc++)
            {
                gradMeanMix[k] += gradMean[nc] * stats.Mean[k][nc];
                gradVarianceMix[k] += gradVariance[nc] * stats.Variance[k][nc];
            }
        }

        SoftmaxBackward(stats.MeanMix, gradMeanMix, parameterGradients[2]);
        SoftmaxBackward(stats.VarianceMix, gradVarianceMix, parameterGradients[3]);

        double[] layerGradMean = SumOverChannels(kindGradMean[Ln], batch), layerGradVariance = SumOverChannels(kindGradVariance[Ln], batch);
        double[] batchGradMean = SumOverSamples(kindGradMean[Bn], batch), batchGradVariance = SumOverSamples(kindGradVariance[Bn], batch);
        bool batchStatistics = context.Training;
        var inputGradient = new double[x.Length];
        for (int i = 0; i < x.Length; i++)
        {
            int nc = i / _spatial, n = nc / _channels, c = nc % _channels;
            double g = gradNormalized[i] * saved.InvStd[nc];
            g += Through(kindGradMean[In][nc], kindGradVariance[In][nc], x[i], stats.Mean[In][nc], _spatial);
            g += Through(layerGradMean[n], layerGradVariance[n], x[i], stats.Mean[Ln][nc], InputLength);
            if (batchStatistics)
            {
                g += Through(batchGradMean[c], batchGradVariance[c], x[i], stats.Mean[Bn][nc], batch * _spatial);
            }

            inputGradient[i] = g;
        }

        return inputGradient;
    }

    /// <summary>The part of ∂L/∂x that flows through a mean and a biased variance over <paramref name="count"/> values.</summary>
    private static double Through(double gradMean, double gradVariance, double x, double mean, int count) =>
        (gradMean + (2 * gradVariance * (x - mean))) / count;

    private double[] SumOverChannels(double[] perSampleChannel, int batch)
    {
        var sums = new double[batch];
        for (int nc = 0; nc < perSampleChannel.Length; nc++)
        {
            sums[nc / _channels] += perSampleChannel[nc];
        }

        return sums;
    }

    private double[] SumOverSamples(double[] perSampleChannel, int batch)
    {
        var sums = new double[_channels];
        for (int nc = 0; nc < batch * _channels; nc++)
        {
            sums[nc % _channels] += perSampleChannel[nc];
        }

        return sums;
    }

    private static double Average(ReadOnlySpan<double> values)
    {
        double sum = 0;
        foreach (double v in values)
        {
            sum += v;
        }

        return sum / values.Length;
    }

    private static double BiasedVariance(ReadOnlySpan<double> values, double mean)
    {
        double sum = 0;
        foreach (double v in values)
        {
            sum += (v - mean) * (v - mean);
        }

        return sum / values.Length;
    }

    private static double[] Softmax(double[] logits)
    {
        double max = logits.Max();
        double[] e = Array.ConvertAll(logits, l => Math.Exp(l - max));
        double sum = e.Sum();
        return Array.ConvertAll(e, v => v / sum);
    }

    /// <summary>∂L/∂logitᵢ = pᵢ·(∂L/∂pᵢ − Σⱼ pⱼ·∂L/∂pⱼ).</summary>
    private static void SoftmaxBackward(double[] p, double[] gradP, double[] gradLogits)
    {
        double dot = 0;
        for (int j = 0; j < p.Length; j++)
        {
            dot += p[j] * gradP[j];
        }

        for (int i = 0; i < p.Length; i++)
        {
            gradLogits[i] += p[i] * (gradP[i] - dot);
        }
    }
}
