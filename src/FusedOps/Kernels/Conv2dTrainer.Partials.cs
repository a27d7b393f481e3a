using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace FusedOps.Kernels;

/// <content>The parts' partial weight gradients added into the layer's, in part order.</content>
public sealed partial class Conv2dTrainer
{
    // weightGrad[i] += the parts' partial dW[i], added in part order: lane-wise, so a vector of 8 weights takes the same
    // additions in the same order as one (the scalar loop was 0.03 ms a step on cases B and C).
    private void AddPartialWeights(float[] weightGrad)
    {
        int length = _oc * _kc, i = 0;
        ref float partials = ref _partialWeights[0];
        ref float grad = ref weightGrad[0];
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i <= length - 8; i += 8)
            {
                Vector256<float> a = Vector256.LoadUnsafe(ref partials, (nuint)i);
                for (int p = 1; p < _parts; p++)
                {
                    a += Vector256.LoadUnsafe(ref partials, (nuint)((p * length) + i));
                }

                (Vector256.LoadUnsafe(ref grad, (nuint)i) + a).StoreUnsafe(ref grad, (nuint)i);
            }
        }

        for (; i < length; i++)
        {
            float a = Unsafe.Add(ref partials, i);
            for (int p = 1; p < _parts; p++)
            {
                a += Unsafe.Add(ref partials, (p * length) + i);
            }

            Unsafe.Add(ref grad, i) += a;
        }
    }
}
