using System;
using System.ComponentModel;
using System.Runtime.CompilerServices;

namespace FusedOps.Kernels;

/// <summary>
/// SwitchableNorm on <c>[n, channels, spatial]</c>: every statistic comes from one pass of Σx and Σx² per
/// (sample, channel) in double: instance (IN) statistics directly, layer (LN) ones summed over channels,
/// batch (BN) ones summed over samples (or the running ones in eval). μ and σ² are their softmax mixtures;
/// then one pass y = act(γ·(x − μ)·invStd + β), as a scale and shift per (sample, channel). Backward: one
/// pass for the activation derivative with Σ du and Σ du·x̂ per (sample, channel); then dx = p·du + q·x + r
/// per (sample, channel), where q and r gather the paths through the three means and variances.
/// An instance holds what Backward needs from the last Forward; inference makes one per call.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class SwitchableNormKernel
{
    private const int Kinds = 3;
    private readonly int _channels;
    private readonly int _spatial;
    private readonly float _epsilon;
    private readonly float _momentum;
    private readonly double[] _meanMix = new double[Kinds];
    private readonly double[] _varMix = new double[Kinds];
    private readonly double[] _batchMean;
    private readonly double[] _batchVar;
    private int _n;
    private double[] _instMean = Array.Empty<double>();
    private double[] _instVar = Array.Empty<double>();
    private double[] _layerMean = Array.Empty<double>();
    private double[] _layerVar = Array.Empty<double>();
    private float[] _mean = Array.Empty<float>();
    private float[] _invStd = Array.Empty<float>();
    private float[] _scale = Array.Empty<float>();
    private float[] _shift = Array.Empty<float>();
    private double[] _sumDu = Array.Empty<double>();
    private double[] _sumDuXhat = Array.Empty<double>();
    private float[] _du = Array.Empty<float>();

    /// <summary>A kernel for inputs of <paramref name="channels"/> × <paramref name="spatial"/> per sample.</summary>
    public SwitchableNormKernel(int channels, int spatial, float epsilon, float momentum)
    {
        (_channels, _spatial, _epsilon, _momentum) = (channels, spatial, epsilon, momentum);
        _batchMean = new double[channels];
        _batchVar = new double[channels];
    }

    /// <summary>
    /// y = act(SwitchableNorm(x)) for <paramref name="n"/> samples. With <paramref name="training"/> the batch
    /// statistics are used and the running ones updated (unbiased variance); otherwise the running ones are used.
    /// </summary>
    public void Forward<TAct>(TAct act, ref float x, ref float y, int n, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, ReadOnlySpan<float> meanWeight,
        ReadOnlySpan<float> varWeight, Span<float> runningMean, Span<float> runningVar, bool training)
        where TAct : struct, IActivationOperator
    {
        Statistics(ref x, n, meanWeight, varWeight, runningMean, runningVar, training);
        int nc = n * _channels;
        for (int k = 0; k < nc; k++)
        {
            int s = k / _channels, c = k % _channels;
            double mean = (_meanMix[0] * _instMean[k]) + (_meanMix[1] * _layerMean[s]) + (_meanMix[2] * _batchMean[c]);
            double variance = (_varMix[0] * _instVar[k]) + (_varMix[1] * _layerVar[s]) + (_varMix[2] * _batchVar[c]);
            double invStd = 1 / Math.Sqrt(variance + _epsilon);
            double scale = gamma[c] * invStd;
            _mean[k] = (float)mean;
            _invStd[k] = (float)invStd;
            _scale[k] = (float)scale;
            _shift[k] = (float)(beta[c] - (mean * scale));
        }

        // The batch as one sample of n·channels channels: one scale and shift each.
        ActivationPass.AffineForward(act, ref x, ref y, 1, nc, _spatial, ref _scale[0], ref _shift[0]);
        _n = n;
    }

    /// <summary>
    /// Backward of the last training <see cref="Forward"/>: adds the gradients of γ, β and the two mixing
    /// logits and, with <paramref name="wantInput"/>, writes dx.
    /// </summary>
    public void Backward<TAct>(TAct act, ref float dy, ref float x, ref float dx, bool wantInput, ReadOnlySpan<float> gamma, Span<float> gammaGrad, Span<float> betaGrad,
        Span<float> meanWeightGrad, Span<float> varWeightGrad)
        where TAct : struct, IActivationOperator
    {
        int n = _n, nc = n * _channels;
        Grow(ref _du, nc * _spatial);
        Array.Clear(_sumDu, 0, nc);
        Array.Clear(_sumDuXhat, 0, nc);
        ActivationPass.BackwardReduce(act, ref dy, ref x, ref _du[0], 1, nc, _spatial, ref _scale[0], ref _shift[0], ref _mean[0], ref _invStd[0], ref _sumDu[0], ref _sumDuXhat[0]);

        // ∂L/∂μ and ∂L/∂σ² per (sample, channel), overwriting the sums they come from.
        Span<double> gradMix = stackalloc double[2 * Kinds];
        gradMix.Clear();
        for (int k = 0; k < nc; k++)
        {
            int s = k / _channels, c = k % _channels;
            gammaGrad[c] += (float)_sumDuXhat[k];
            betaGrad[c] += (float)_sumDu[k];
            double inv = _invStd[k];
            double gradMean = -gamma[c] * inv * _sumDu[k];
            double gradVar = -0.5 * gamma[c] * inv * inv * _sumDuXhat[k];
            gradMix[0] += gradMean * _instMean[k];
            gradMix[1] += gradMean * _layerMean[s];
            gradMix[2] += gradMean * _batchMean[c];
            gradMix[3] += gradVar * _instVar[k];
            gradMix[4] += gradVar * _layerVar[s];
            gradMix[5] += gradVar * _batchVar[c];
            (_sumDu[k], _sumDuXhat[k]) = (gradMean, gradVar);
        }

        SoftmaxBackward(_meanMix, gradMix.Slice(0, Kinds), meanWeightGrad);
        SoftmaxBackward(_varMix, gradMix.Slice(Kinds, Kinds), varWeightGrad);
        if (wantInput)
        {
            InputGradient(ref x, ref dx, n, gamma);
        }
    }

    /// <summary>dx = p·du + q·x + r per (sample, channel), through x̂ and the IN, LN and BN means and variances.</summary>
    private void InputGradient(ref float x, ref float dx, int n, ReadOnlySpan<float> gamma)
    {
        double perLayer = (double)_channels * _spatial, perBatch = (double)n * _spatial;
        Span<double> layer = n <= 128 ? stackalloc double[2 * n] : new double[2 * n];
        Span<double> batch = _channels <= 128 ? stackalloc double[2 * _channels] : new double[2 * _channels];
        layer.Clear();
        batch.Clear();
        for (int k = 0; k < n * _channels; k++)
        {
            int s = k / _channels, c = k % _channels;
            layer[2 * s] += _meanMix[1] * _sumDu[k];
            layer[(2 * s) + 1] += _varMix[1] * _sumDuXhat[k];
            batch[2 * c] += _meanMix[2] * _sumDu[k];
            batch[(2 * c) + 1] += _varMix[2] * _sumDuXhat[k];
        }

        for (int k = 0; k < n * _channels; k++)
        {
            int s = k / _channels, c = k % _channels;
            double gradMean = _sumDu[k], gradVar = _sumDuXhat[k];
            double inM = _meanMix[0] * gradMean, inV = _varMix[0] * gradVar;
            double q = (2 * inV / _spatial) + (2 * layer[(2 * s) + 1] / perLayer) + (2 * batch[(2 * c) + 1] / perBatch);
            double r = ((inM - (2 * inV * _instMean[k])) / _spatial)
                + ((layer[2 * s] - (2 * layer[(2 * s) + 1] * _layerMean[s])) / perLayer)
                + ((batch[2 * c] - (2 * batch[(2 * c) + 1] * _batchMean[c])) / perBatch);
            int o = k * _spatial;
            RowMath.Affine2(ref _du[o], gamma[c] * _invStd[k], ref Unsafe.Add(ref x, o), (float)q, (float)r, ref Unsafe.Add(ref dx, o), _spatial);
        }
    }

    private void Statistics(ref float x, int n, ReadOnlySpan<float> meanWeight, ReadOnlySpan<float> varWeight, Span<float> runningMean, Span<float> runningVar, bool training)
    {
        int nc = n * _channels;
        if (_instMean.Length < nc)
        {
            (_instMean, _instVar, _sumDu, _sumDuXhat) = (new double[nc], new double[nc], new double[nc], new double[nc]);
            (_mean, _invStd, _scale, _shift) = (new float[nc], new float[nc], new float[nc], new float[nc]);
            (_layerMean, _layerVar) = (new double[n], new double[n]);
        }

        Array.Clear(_layerMean, 0, n);
        Array.Clear(_layerVar, 0, n);
        Array.Clear(_batchMean);
        Array.Clear(_batchVar);
        for (int k = 0; k < nc; k++)
        {
            ref float row = ref Unsafe.Add(ref x, k * _spatial);
            (double sum, double sumSq) = RowMath.Moments(ref row, _spatial);
            int s = k / _channels, c = k % _channels;
            _instMean[k] = sum / _spatial;
            _instVar[k] = Math.Max(0, (sumSq / _spatial) - (_instMean[k] * _instMean[k]));
            _layerMean[s] += sum;
            _layerVar[s] += sumSq;
            _batchMean[c] += sum;
            _batchVar[c] += sumSq;
        }

        double perLayer = (double)_channels * _spatial, perBatch = (double)n * _spatial;
        for (int s = 0; s < n; s++)
        {
            _layerMean[s] /= perLayer;
            _layerVar[s] = Math.Max(0, (_layerVar[s] / perLayer) - (_layerMean[s] * _layerMean[s]));
        }

        for (int c = 0; c < _channels; c++)
        {
            if (training)
            {
                _batchMean[c] /= perBatch;
                _batchVar[c] = Math.Max(0, (_batchVar[c] / perBatch) - (_batchMean[c] * _batchMean[c]));
                runningMean[c] = (float)(((1 - _momentum) * runningMean[c]) + (_momentum * _batchMean[c]));
                runningVar[c] = (float)(((1 - _momentum) * runningVar[c]) + (_momentum * _batchVar[c] * perBatch / (perBatch - 1)));
            }
            else
            {
                (_batchMean[c], _batchVar[c]) = (runningMean[c], runningVar[c]);
            }
        }

        Softmax(meanWeight, _meanMix);
        Softmax(varWeight, _varMix);
    }

    private static void Softmax(ReadOnlySpan<float> logits, double[] p)
    {
        double max = Math.Max(logits[0], Math.Max(logits[1], logits[2]));
        double sum = 0;
        for (int k = 0; k < Kinds; k++)
        {
            p[k] = Math.Exp(logits[k] - max);
            sum += p[k];
        }

        for (int k = 0; k < Kinds; k++)
        {
            p[k] /= sum;
        }
    }

    /// <summary>∂L/∂logitᵢ += pᵢ·(∂L/∂pᵢ − Σⱼ pⱼ·∂L/∂pⱼ).</summary>
    private static void SoftmaxBackward(double[] p, ReadOnlySpan<double> gradP, Span<float> gradLogits)
    {
        double dot = (p[0] * gradP[0]) + (p[1] * gradP[1]) + (p[2] * gradP[2]);
        for (int k = 0; k < Kinds; k++)
        {
            gradLogits[k] += (float)(p[k] * (gradP[k] - dot));
        }
    }

    private static void Grow(ref float[] buffer, int length)
    {
        if (buffer.Length < length)
        {
            buffer = new float[length];
        }
    }
}
