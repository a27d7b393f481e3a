using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Numerics.Tensors;

namespace FusedOps.Benchmarks;

/// <summary>
/// A training step (ZeroGrad + Forward + Backward, no input gradient) written layer by layer on
/// <see cref="TensorPrimitives"/>, what a careful user of .NET's own vectorised primitives would
/// write without FusedOps: Conv2d as im2col plus one axpy per weight, Linear as dot products and
/// axpys, BatchNorm from sums, each layer reading and writing whole tensors. The yardstick for the
/// training step next to ONNX Runtime's inference. Buffers are allocated once; a step allocates nothing.
/// </summary>
internal sealed class TensorPrimitivesBaseline
{
    private readonly List<Layer> _layers = [];
    private readonly float[][] _activations;
    private readonly float[][] _gradients;
    private readonly float[] _input;
    private readonly float[] _outputGradient;
    private readonly int _batch;

    public TensorPrimitivesBaseline(Workload workload)
    {
        _batch = workload.Batch;
        _input = workload.Input;
        _outputGradient = workload.OutputGradient;
        int[] shape = workload.Model.InputShapeArray;
        var sizes = new List<int> { shape.Aggregate(1, (a, b) => a * b) };
        for (int i = 0; i < workload.Layers.Count; i++)
        {
            string p = i.ToString(CultureInfo.InvariantCulture) + ".";
            Layer layer = workload.Layers[i] switch
            {
                Conv2dAttribute c when c.Stride == 1 && c.Dilation == 1 && c.Groups == 1 => new Conv(workload.Model, p, c, shape, _batch),
                LinearAttribute l => new Linear(workload.Model, p, l, shape[0], _batch),
                BatchNormAttribute b => new BatchNorm(workload.Model, p, b, shape, _batch),
                ReLUAttribute => new Relu(),
                FlattenAttribute => new Relu(identity: true),
                var other => throw new NotSupportedException($"layer {i}: {other.GetType().Name} is not in the baseline"),
            };
            shape = layer.OutputShape(shape);
            sizes.Add(shape.Aggregate(1, (a, b) => a * b));
            _layers.Add(layer);
        }

        _activations = [.. sizes.Select(s => new float[s * _batch])];
        _gradients = [.. sizes.Select(s => new float[s * _batch])];
    }

    /// <summary>The output of the last <see cref="TrainingStep"/>'s forward pass.</summary>
    public ReadOnlySpan<float> Output => _activations[^1];

    public void TrainingStep()
    {
        foreach (Layer layer in _layers)
        {
            layer.ZeroGrad();
        }

        _input.CopyTo(_activations[0], 0);
        for (int i = 0; i < _layers.Count; i++)
        {
            _layers[i].Forward(_activations[i], _activations[i + 1]);
        }

        _outputGradient.CopyTo(_gradients[^1], 0);
        for (int i = _layers.Count - 1; i >= 0; i--)
        {
            _layers[i].Backward(_activations[i], _activations[i + 1], _gradients[i + 1], i == 0 ? null : _gradients[i]);
        }
    }

    private abstract class Layer
    {
        public virtual int[] OutputShape(int[] input) => input;

        public virtual void ZeroGrad()
        {
        }

        public abstract void Forward(float[] x, float[] y);

        // dx is null for the first layer (no input gradient).
        public abstract void Backward(float[] x, float[] y, float[] dy, float[]? dx);
    }

    private sealed class Conv : Layer
    {
        private readonly float[] _w, _b, _dw, _db, _cols;
        private readonly int _ic, _oc, _k, _pad, _h, _w0, _oh, _ow, _batch;

        public Conv(IFusedModel m, string p, Conv2dAttribute c, int[] shape, int batch)
        {
            (_ic, _h, _w0, _oc, _k, _pad, _batch) = (shape[0], shape[1], shape[2], c.OutChannels, c.KernelSize, c.Padding, batch);
            (_oh, _ow) = (_h + (2 * _pad) - _k + 1, _w0 + (2 * _pad) - _k + 1);
            _w = [.. m.Parameters[p + "weight"].Data];
            _b = [.. m.Parameters[p + "bias"].Data];
            (_dw, _db) = (new float[_w.Length], new float[_b.Length]);
            _cols = new float[batch * _ic * _k * _k * _oh * _ow];
        }

        private int Taps => _ic * _k * _k;

        private int Pixels => _oh * _ow;

        public override int[] OutputShape(int[] input) => [_oc, _oh, _ow];

        public override void ZeroGrad()
        {
            _dw.AsSpan().Clear();
            _db.AsSpan().Clear();
        }

        public override void Forward(float[] x, float[] y)
        {
            for (int n = 0; n < _batch; n++)
            {
                Span<float> cols = _cols.AsSpan(n * Taps * Pixels, Taps * Pixels);
                Im2Col(x.AsSpan(n * _ic * _h * _w0), cols);
                for (int o = 0; o < _oc; o++)
                {
                    Span<float> row = y.AsSpan(((n * _oc) + o) * Pixels, Pixels);
                    row.Fill(_b[o]);
                    for (int t = 0; t < Taps; t++)
                    {
                        TensorPrimitives.MultiplyAdd(cols.Slice(t * Pixels, Pixels), _w[(o * Taps) + t], row, row);
                    }
                }
            }
        }

        public override void Backward(float[] x, float[] y, float[] dy, float[]? dx)
        {
            if (dx is not null)
            {
                throw new NotSupportedException("the baseline's Conv2d is a first layer (no input gradient)");
            }

            for (int n = 0; n < _batch; n++)
            {
                ReadOnlySpan<float> cols = _cols.AsSpan(n * Taps * Pixels, Taps * Pixels);
                for (int o = 0; o < _oc; o++)
                {
                    ReadOnlySpan<float> g = dy.AsSpan(((n * _oc) + o) * Pixels, Pixels);
                    _db[o] += TensorPrimitives.Sum(g);
                    for (int t = 0; t < Taps; t++)
                    {
                        _dw[(o * Taps) + t] += TensorPrimitives.Dot(g, cols.Slice(t * Pixels, Pixels));
                    }
                }
            }
        }

        private void Im2Col(ReadOnlySpan<float> x, Span<float> cols)
        {
            cols.Clear();
            for (int c = 0, t = 0; c < _ic; c++)
            {
                for (int ky = 0; ky < _k; ky++)
                {
                    for (int kx = 0; kx < _k; kx++, t++)
                    {
                        int x0 = Math.Max(0, _pad - kx), x1 = Math.Min(_ow, _w0 + _pad - kx);
                        for (int oy = 0; oy < _oh; oy++)
                        {
                            int iy = oy + ky - _pad;
                            if (iy >= 0 && iy < _h && x1 > x0)
                            {
                                x.Slice((((c * _h) + iy) * _w0) + x0 + kx - _pad, x1 - x0).CopyTo(cols.Slice((t * Pixels) + (oy * _ow) + x0));
                            }
                        }
                    }
                }
            }
        }
    }

    private sealed class Linear : Layer
    {
        private readonly float[] _w, _b, _dw, _db;
        private readonly int _in, _out, _batch;

        public Linear(IFusedModel m, string p, LinearAttribute l, int inFeatures, int batch)
        {
            (_in, _out, _batch) = (inFeatures, l.OutFeatures, batch);
            _w = [.. m.Parameters[p + "weight"].Data];
            _b = [.. m.Parameters[p + "bias"].Data];
            (_dw, _db) = (new float[_w.Length], new float[_b.Length]);
        }

        public override int[] OutputShape(int[] input) => [_out];

        public override void ZeroGrad()
        {
            _dw.AsSpan().Clear();
            _db.AsSpan().Clear();
        }

        public override void Forward(float[] x, float[] y)
        {
            for (int r = 0; r < _batch; r++)
            {
                ReadOnlySpan<float> xr = x.AsSpan(r * _in, _in);
                for (int o = 0; o < _out; o++)
                {
                    y[(r * _out) + o] = TensorPrimitives.Dot(xr, _w.AsSpan(o * _in, _in)) + _b[o];
                }
            }
        }

        public override void Backward(float[] x, float[] y, float[] dy, float[]? dx)
        {
            for (int r = 0; r < _batch; r++)
            {
                ReadOnlySpan<float> g = dy.AsSpan(r * _out, _out);
                TensorPrimitives.Add(_db, g, _db);
                Span<float> dxr = dx is null ? default : dx.AsSpan(r * _in, _in);
                dxr.Clear();
                for (int o = 0; o < _out; o++)
                {
                    Span<float> dw = _dw.AsSpan(o * _in, _in);
                    TensorPrimitives.MultiplyAdd(x.AsSpan(r * _in, _in), g[o], dw, dw);
                    if (dx is not null)
                    {
                        TensorPrimitives.MultiplyAdd(_w.AsSpan(o * _in, _in), g[o], dxr, dxr);
                    }
                }
            }
        }
    }

    // Training-mode BatchNorm over (batch, channels, spatial); running statistics updated as PyTorch does.
    private sealed class BatchNorm : Layer
    {
        private readonly float[] _gamma, _beta, _dgamma, _dbeta, _runningMean, _runningVar, _mean, _invStd, _xhat, _sum, _dot;
        private readonly int _channels, _spatial, _batch;
        private readonly float _eps, _momentum;

        public BatchNorm(IFusedModel m, string p, BatchNormAttribute b, int[] shape, int batch)
        {
            (_channels, _spatial, _batch, _eps, _momentum) = (shape[0], shape.Skip(1).Aggregate(1, (a, c) => a * c), batch, b.Epsilon, b.Momentum);
            _gamma = [.. m.Parameters[p + "weight"].Data];
            _beta = [.. m.Parameters[p + "bias"].Data];
            _runningMean = [.. m.Buffers[p + "running_mean"].Data];
            _runningVar = [.. m.Buffers[p + "running_var"].Data];
            (_dgamma, _dbeta, _mean, _invStd, _sum, _dot) = (new float[_channels], new float[_channels], new float[_channels], new float[_channels], new float[_channels], new float[_channels]);
            _xhat = new float[batch * _channels * _spatial];
        }

        private int Count => _batch * _spatial;

        public override void ZeroGrad()
        {
            _dgamma.AsSpan().Clear();
            _dbeta.AsSpan().Clear();
        }

        public override void Forward(float[] x, float[] y)
        {
            ChannelSums(x, _mean);
            TensorPrimitives.Divide(_mean, Count, _mean);
            for (int n = 0; n < _batch; n++)
            {
                for (int c = 0; c < _channels; c++)
                {
                    Run(_xhat, n, c).Fill(-_mean[c]);
                }
            }

            TensorPrimitives.Add(_xhat, x, _xhat);                   // x − mean
            SquareSums(_xhat, _invStd);                               // Σ (x − mean)²
            for (int c = 0; c < _channels; c++)
            {
                float variance = _invStd[c] / Count;
                _runningMean[c] = ((1 - _momentum) * _runningMean[c]) + (_momentum * _mean[c]);
                _runningVar[c] = ((1 - _momentum) * _runningVar[c]) + (_momentum * variance * Count / (Count - 1));
                _invStd[c] = 1 / MathF.Sqrt(variance + _eps);
            }

            for (int n = 0; n < _batch; n++)
            {
                for (int c = 0; c < _channels; c++)
                {
                    Span<float> xh = Run(_xhat, n, c);
                    TensorPrimitives.Multiply(xh, _invStd[c], xh);
                    TensorPrimitives.Multiply(xh, _gamma[c], Run(y, n, c));
                    TensorPrimitives.Add(Run(y, n, c), _beta[c], Run(y, n, c));
                }
            }
        }

        public override void Backward(float[] x, float[] y, float[] dy, float[]? dx)
        {
            ChannelSums(dy, _sum);
            TensorPrimitives.Add(_dbeta, _sum, _dbeta);
            for (int c = 0; c < _channels; c++)
            {
                _dot[c] = 0;
            }

            for (int n = 0; n < _batch; n++)
            {
                for (int c = 0; c < _channels; c++)
                {
                    _dot[c] += TensorPrimitives.Dot(Run(dy, n, c), Run(_xhat, n, c));
                }
            }

            TensorPrimitives.Add(_dgamma, _dot, _dgamma);
            if (dx is null)
            {
                return;
            }

            for (int n = 0; n < _batch; n++)
            {
                for (int c = 0; c < _channels; c++)
                {
                    // dx = γ·invstd·(dy − Σdy/N − x̂·Σ(dy·x̂)/N)
                    Span<float> d = Run(dx, n, c);
                    TensorPrimitives.MultiplyAdd(Run(_xhat, n, c), -_dot[c] / Count, Run(dy, n, c), d);
                    TensorPrimitives.Add(d, -_sum[c] / Count, d);
                    TensorPrimitives.Multiply(d, _gamma[c] * _invStd[c], d);
                }
            }
        }

        private Span<float> Run(float[] t, int n, int c) => t.AsSpan(((n * _channels) + c) * _spatial, _spatial);

        private void ChannelSums(float[] t, float[] sums)
        {
            Array.Clear(sums);
            for (int n = 0; n < _batch; n++)
            {
                if (_spatial == 1)
                {
                    TensorPrimitives.Add(sums, t.AsSpan(n * _channels, _channels), sums);
                    continue;
                }

                for (int c = 0; c < _channels; c++)
                {
                    sums[c] += TensorPrimitives.Sum(Run(t, n, c));
                }
            }
        }

        private void SquareSums(float[] t, float[] sums)
        {
            Array.Clear(sums);
            for (int n = 0; n < _batch; n++)
            {
                if (_spatial == 1)
                {
                    ReadOnlySpan<float> row = t.AsSpan(n * _channels, _channels);
                    TensorPrimitives.MultiplyAdd(row, row, sums, sums);
                    continue;
                }

                for (int c = 0; c < _channels; c++)
                {
                    sums[c] += TensorPrimitives.SumOfSquares(Run(t, n, c));
                }
            }
        }
    }

    private sealed class Relu(bool identity = false) : Layer
    {
        public override void Forward(float[] x, float[] y)
        {
            if (identity)
            {
                x.CopyTo(y, 0);
                return;
            }

            TensorPrimitives.Max(x, 0f, y);
        }

        public override void Backward(float[] x, float[] y, float[] dy, float[]? dx)
        {
            if (dx is null)
            {
                return;
            }

            if (identity)
            {
                dy.CopyTo(dx, 0);
                return;
            }

            // TensorPrimitives has no select-by-mask; the mask is one compare per element.
            for (int i = 0; i < dx.Length; i++)
            {
                dx[i] = y[i] > 0 ? dy[i] : 0;
            }
        }
    }
}
