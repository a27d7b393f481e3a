using System.Runtime.Intrinsics;
using FusedOps.Kernels;

namespace FusedOps.Tests.Numerics;

/// <summary>One argument broadcast to every lane of every width: the forward and backward each width gives.</summary>
internal static class OperatorProbe
{
    /// <summary>(forward, backward) at scalar, 128, 256 and 512 bits; each vector's lanes are checked to agree.</summary>
    public static (float Forward, float Backward)[] EveryWidth<TOp>(TOp op, float x, float g = 1f)
        where TOp : struct, IActivationOperator
    {
        return
        [
            (op.Invoke(x), op.Backward(g, x)),
            Lanes(op.Invoke(Vector128.Create(x)).ToArray(), op.Backward(Vector128.Create(g), Vector128.Create(x)).ToArray()),
            Lanes(op.Invoke(Vector256.Create(x)).ToArray(), op.Backward(Vector256.Create(g), Vector256.Create(x)).ToArray()),
            Lanes(op.Invoke(Vector512.Create(x)).ToArray(), op.Backward(Vector512.Create(g), Vector512.Create(x)).ToArray()),
        ];
    }

    private static (float, float) Lanes(float[] forward, float[] backward)
    {
        for (int i = 1; i < forward.Length; i++)
        {
            Xunit.Assert.True(NumericsHelpers.SameFloat(forward[0], forward[i]) && NumericsHelpers.SameFloat(backward[0], backward[i]), "lanes differ");
        }

        return (forward[0], backward[0]);
    }

    private static float[] ToArray(this Vector128<float> v)
    {
        var a = new float[Vector128<float>.Count];
        v.CopyTo(a);
        return a;
    }

    private static float[] ToArray(this Vector256<float> v)
    {
        var a = new float[Vector256<float>.Count];
        v.CopyTo(a);
        return a;
    }

    private static float[] ToArray(this Vector512<float> v)
    {
        var a = new float[Vector512<float>.Count];
        v.CopyTo(a);
        return a;
    }
}
