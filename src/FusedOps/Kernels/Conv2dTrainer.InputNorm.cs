using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace FusedOps.Kernels;

/// <content>
/// The previous group's BatchNorm normalise and activation in this conv's input pad: the input is that group's conv output z, and
/// the pad writes act(z·scale + shift) per channel (forward, and the backward's pad for the weight gradient), so the normalised
/// activation is never stored for the batch. The arithmetic of <see cref="ActivationPass.AffineForward"/> (a product, then a sum,
/// then the activation, per value), so the same bits as padding the stored output.
/// </content>
public sealed unsafe partial class Conv2dTrainer
{
    private InputNorm? _inputNorm;

    /// <summary>
    /// From now on, every input this trainer pads (in <see cref="Forward(float[], float[], float[], float[], int, double[], double[])"/>,
    /// the backward passes and their variants) is the pre-BatchNorm z of the previous layer, and the value padded is
    /// <c>act(z·scale[c] + shift[c])</c>. <paramref name="scale"/> and <paramref name="shift"/> are read at each call (the model's
    /// per-channel arrays, updated by its forward), one per input channel.
    /// </summary>
    public void NormalizeInput<TAct>(TAct act, float[] scale, float[] shift)
        where TAct : struct, IActivationOperator
    {
        if (scale.Length < _c || shift.Length < _c)
        {
            throw new System.ArgumentException($"scale and shift need {_c} values (one per input channel), but have {scale.Length} and {shift.Length}.", nameof(scale));
        }

        if (_inputNorm is not InputNorm<TAct> norm)
        {
            _inputNorm = norm = new InputNorm<TAct>();
        }

        (norm.Act, norm.Scale, norm.Shift) = (act, scale, shift);
    }

    private abstract class InputNorm
    {
        public float[] Scale = [], Shift = [];

        // One sample's input into the padded planes, normalised and activated: PadInput's layout.
        public abstract void Pad(Conv2dTrainer t, ref float source, ref float destination);
    }

    private sealed class InputNorm<TAct> : InputNorm
        where TAct : struct, IActivationOperator
    {
        public TAct Act;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public override void Pad(Conv2dTrainer t, ref float source, ref float destination)
        {
            int pw = t._wp, ph = t._h + (2 * t._pad), w = t._w, h = t._h, pad = t._pad;
            bool vector = KernelDispatch.Level >= 1 && w >= 8, wide = KernelDispatch.Level >= 2 && w >= 16;
            bool narrow = KernelDispatch.Level == 0 && KernelDispatch.RuntimeBits == 128 && w >= 4;
            TAct act = Act;
            for (int c = 0; c < t._c; c++)
            {
                float s = Scale[c], b = Shift[c];
                Vector256<float> vs = Vector256.Create(s), vb = Vector256.Create(b);
                Vector512<float> ws = Vector512.Create(s), wb = Vector512.Create(b);
                ref float plane = ref Unsafe.Add(ref destination, c * ph * pw);
                ConvHelpers.ClearShort(ref plane, (pad * pw) + pad);
                for (int y = 0; y < h; y++)
                {
                    ref float src = ref Unsafe.Add(ref source, ((c * h) + y) * w);
                    ref float row = ref Unsafe.Add(ref plane, ((y + pad) * pw) + pad);
                    Prefetch.Ahead(ref src, w);
                    if (wide)
                    {
                        // 16 a step, the last 16 overlapping (a row of 28 in two steps): each value computed the same way at every width.
                        int i = 0;
                        for (; i <= w - 16; i += 16)
                        {
                            act.Invoke((Vector512.LoadUnsafe(ref src, (nuint)i) * ws) + wb).StoreUnsafe(ref row, (nuint)i);
                        }

                        if (i < w)
                        {
                            act.Invoke((Vector512.LoadUnsafe(ref src, (nuint)(w - 16)) * ws) + wb).StoreUnsafe(ref row, (nuint)(w - 16));
                        }
                    }
                    else if (vector)
                    {
                        int i = 0;
                        for (; i <= w - 8; i += 8)
                        {
                            act.Invoke((Vector256.LoadUnsafe(ref src, (nuint)i) * vs) + vb).StoreUnsafe(ref row, (nuint)i);
                        }

                        // The last values again in one overlapping vector (rows of 28 and 14): each computed the same way.
                        if (i < w)
                        {
                            act.Invoke((Vector256.LoadUnsafe(ref src, (nuint)(w - 8)) * vs) + vb).StoreUnsafe(ref row, (nuint)(w - 8));
                        }
                    }
                    else if (narrow)
                    {
                        // At 128 bits (SSE, AdvSimd) 4 a step, the last 4 overlapping.
                        Vector128<float> ns = vs.GetLower(), nb = vb.GetLower();
                        int i = 0;
                        for (; i <= w - 4; i += 4)
                        {
                            act.Invoke((Vector128.LoadUnsafe(ref src, (nuint)i) * ns) + nb).StoreUnsafe(ref row, (nuint)i);
                        }

                        if (i < w)
                        {
                            act.Invoke((Vector128.LoadUnsafe(ref src, (nuint)(w - 4)) * ns) + nb).StoreUnsafe(ref row, (nuint)(w - 4));
                        }
                    }
                    else
                    {
                        for (int i = 0; i < w; i++)
                        {
                            Unsafe.Add(ref row, i) = act.Invoke((Unsafe.Add(ref src, i) * s) + b);
                        }
                    }

                    ConvHelpers.ClearShort(ref Unsafe.Add(ref row, w), 2 * pad);
                }

                ConvHelpers.ClearShort(ref Unsafe.Add(ref plane, ((h + pad) * pw) + pad), (pad * pw) - pad);
            }
        }
    }
}
