using System;
using System.Collections.Generic;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using FusedOps.Kernels;

namespace FusedOps.Benchmarks;

/// <summary>
/// What a Linear pipeline's <c>Frozen.Infer</c> becomes once the generator packs at <c>Freeze()</c>:
/// each Linear (with a following BatchNorm folded into its rows and bias) packed once with
/// <see cref="PackedGemm.PackTransposed"/>, then one <see cref="PackedGemm.Multiply{TAct}"/> per layer
/// with the shift and a following ReLU in the epilogue. Wired by hand here from the model's state, to
/// measure the runtime side before the generator calls it. Linear, BatchNorm and ReLU layers only.
/// </summary>
internal sealed class PackedLinearPreview
{
    private readonly List<Stage> _stages = [];
    private readonly float[] _input;
    private readonly float[] _output;
    private readonly float[][] _hidden;
    private readonly int _batch;

    private PackedLinearPreview(Workload w)
    {
        _batch = w.Batch;
        _input = w.Input;
        int features = w.Model.InputLength;
        var layers = w.Layers;
        for (int i = 0; i < layers.Count; i++)
        {
            if (layers[i] is not LinearAttribute linear)
            {
                throw new NotSupportedException($"layer {i}: {layers[i].GetType().Name} is not folded into a Linear here");
            }

            string p = i.ToString(CultureInfo.InvariantCulture) + ".";
            int cols = linear.OutFeatures;
            float[] weight = [.. w.Model.Parameters[p + "weight"].Data];
            float[] shift = [.. w.Model.Parameters[p + "bias"].Data];
            if (i + 1 < layers.Count && layers[i + 1] is BatchNormAttribute bn)
            {
                string q = (i + 1).ToString(CultureInfo.InvariantCulture) + ".";
                float[] gamma = w.Model.Parameters[q + "weight"].Data, beta = w.Model.Parameters[q + "bias"].Data;
                float[] mean = w.Model.Buffers[q + "running_mean"].Data, variance = w.Model.Buffers[q + "running_var"].Data;
                for (int o = 0; o < cols; o++)
                {
                    float scale = gamma[o] / MathF.Sqrt(variance[o] + bn.Epsilon);
                    for (int t = 0; t < features; t++)
                    {
                        weight[(o * features) + t] *= scale;
                    }

                    shift[o] = ((shift[o] - mean[o]) * scale) + beta[o];
                }

                i++;
            }

            bool relu = i + 1 < layers.Count && layers[i + 1] is ReLUAttribute;
            i += relu ? 1 : 0;
            float[] packed = new float[PackedGemm.PackedLength(features, cols)];
            PackedGemm.PackTransposed(weight, cols, features, packed);
            _stages.Add(new Stage(packed, shift, features, cols, relu));
            features = cols;
        }

        _output = new float[_batch * features];
        _hidden = [.. _stages.ConvertAll(s => new float[_batch * s.Cols])];
    }

    /// <summary>The output of the last <see cref="Infer"/>.</summary>
    public float[] Output => _output;

    /// <summary>The preview for <paramref name="w"/>, or null when its layers are not all Linear, BatchNorm and ReLU.</summary>
    public static PackedLinearPreview? TryCreate(Workload w)
    {
        foreach (LayerAttribute layer in w.Layers)
        {
            if (layer is not (LinearAttribute or BatchNormAttribute or ReLUAttribute))
            {
                return null;
            }
        }

        return new PackedLinearPreview(w);
    }

    public void Infer()
    {
        ReadOnlySpan<float> x = _input;
        for (int s = 0; s < _stages.Count; s++)
        {
            Stage st = _stages[s];
            Span<float> y = s == _stages.Count - 1 ? _output : _hidden[s];
            if (st.Relu)
            {
                PackedGemm.Multiply(new Relu(), x, _batch, st.Depth, st.Depth, 1, st.Packed, st.Cols, y, st.Cols, [], st.Shift, accumulate: false);
            }
            else
            {
                PackedGemm.Multiply(x, _batch, st.Depth, st.Depth, 1, st.Packed, st.Cols, y, st.Cols, [], st.Shift, accumulate: false);
            }

            x = y;
        }
    }

    private sealed record Stage(float[] Packed, float[] Shift, int Depth, int Cols, bool Relu);

    // ReLU as an operator struct (the library's own operators belong to the generator's side).
    private readonly struct Relu : IActivationOperator
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public float Invoke(float x) => Math.Max(x, 0);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector128<float> Invoke(Vector128<float> x) => Vector128.Max(x, Vector128<float>.Zero);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector256<float> Invoke(Vector256<float> x) => Vector256.Max(x, Vector256<float>.Zero);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector512<float> Invoke(Vector512<float> x) => Vector512.Max(x, Vector512<float>.Zero);

        public float Backward(float g, float u) => u > 0 ? g : 0;

        public Vector128<float> Backward(Vector128<float> g, Vector128<float> u) => Vector128.ConditionalSelect(Vector128.GreaterThan(u, Vector128<float>.Zero), g, Vector128<float>.Zero);

        public Vector256<float> Backward(Vector256<float> g, Vector256<float> u) => Vector256.ConditionalSelect(Vector256.GreaterThan(u, Vector256<float>.Zero), g, Vector256<float>.Zero);

        public Vector512<float> Backward(Vector512<float> g, Vector512<float> u) => Vector512.ConditionalSelect(Vector512.GreaterThan(u, Vector512<float>.Zero), g, Vector512<float>.Zero);
    }
}
