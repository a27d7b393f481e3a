using System.ComponentModel;
using System.Runtime.Intrinsics;

namespace FusedOps.Kernels;

/// <summary>
/// An elementwise activation as an operator struct, in the manner of TensorPrimitives'
/// <c>IStatefulUnaryOperator</c>: the struct's fields are the activation's arguments (a slope, a
/// clamp range), and every form of the function and its derivative is an instance method, so a
/// generic kernel <c>Kernel&lt;TAct&gt;(TAct act, …) where TAct : struct, IActivationOperator</c>
/// is specialised and inlined by the JIT for each activation at every vector width.
/// </summary>
/// <remarks>
/// <see cref="Backward(float, float)"/> takes the upstream gradient <c>g</c> and the activation's
/// input <c>u</c> and returns <c>g · f′(u)</c> with PyTorch's conventions at the kinks (ReLU's
/// derivative is 0 at 0). NaN propagates as in PyTorch. Implementations are <c>readonly struct</c>s
/// whose methods are marked <c>AggressiveInlining</c>.
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public interface IActivationOperator
{
    /// <summary>f(x), scalar.</summary>
    float Invoke(float x);

    /// <summary>f(x), four lanes.</summary>
    Vector128<float> Invoke(Vector128<float> x);

    /// <summary>f(x), eight lanes.</summary>
    Vector256<float> Invoke(Vector256<float> x);

    /// <summary>f(x), sixteen lanes.</summary>
    Vector512<float> Invoke(Vector512<float> x);

    /// <summary>g · f′(u), scalar.</summary>
    float Backward(float g, float u);

    /// <summary>g · f′(u), four lanes.</summary>
    Vector128<float> Backward(Vector128<float> g, Vector128<float> u);

    /// <summary>g · f′(u), eight lanes.</summary>
    Vector256<float> Backward(Vector256<float> g, Vector256<float> u);

    /// <summary>g · f′(u), sixteen lanes.</summary>
    Vector512<float> Backward(Vector512<float> g, Vector512<float> u);
}
