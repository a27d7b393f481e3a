namespace FusedOps.Generator.Emit;

/// <summary>
/// Emits the elementwise passes of a group over <c>[n, C, S]</c>: normalise-and-activate forward,
/// the activation derivative fused with BatchNorm's backward reductions, and a plain activation
/// derivative. Vectorised along S (images) or along C (S = 1), scalar tails.
/// </summary>
internal static class PassEmitter
{
    private const string U = "global::System.Runtime.CompilerServices.Unsafe";
    private const string V = "global::System.Runtime.Intrinsics.Vector256";
    private const string VT = "global::System.Runtime.Intrinsics.Vector256<float>";
    private const string Level = "global::FusedOps.Kernels.KernelDispatch.Level >= 1";

    /// <summary>y = act(z·scale[c] + shift[c]) (or y = act(z) when <paramref name="affine"/> is false); y may alias z.</summary>
    public static void WriteAffineAct(CodeWriter w, GroupView g, bool affine)
    {
        int C = g.Channels, S = g.Spatial;
        string name = affine ? $"G{g.Index}_AffineAct" : $"G{g.Index}_Act";
        w.Line($"/// <summary>Group {g.Index}: y = {(affine ? $"{(g.ActEntry is null ? string.Empty : g.Act!.Name)}(z·scale[c] + shift[c])" : g.Act!.Name + "(z)")} over [n, {C}, {S}], one pass.</summary>");
        w.Open($"private static void {name}(ref float z, ref float y, int n, ref float scale, ref float shift)");
        string Expr(string x, string s, string t) => g.ActForward(affine ? $"(({x}) * {s}) + {t}" : x);
        if (S == 1)
        {
            w.Open("for (int row = 0; row < n; row++)");
            w.Line($"int o = row * {C};");
            w.Line("int c = 0;");
            w.Open($"if ({Level})");
            w.Open($"for (; c <= {C - 8}; c += 8)");
            w.Line($"{VT} v = {Expr($"{V}.LoadUnsafe(ref z, (nuint)(o + c))", $"{V}.LoadUnsafe(ref scale, (nuint)c)", $"{V}.LoadUnsafe(ref shift, (nuint)c)")};");
            w.Line($"{V}.StoreUnsafe(v, ref y, (nuint)(o + c));");
            w.Close();
            w.Close();
            w.Open($"for (; c < {C}; c++)");
            w.Line($"{U}.Add(ref y, o + c) = {Expr($"{U}.Add(ref z, o + c)", $"{U}.Add(ref scale, c)", $"{U}.Add(ref shift, c)")};");
            w.Close();
            w.Close();
        }
        else
        {
            w.Open("for (int row = 0; row < n; row++)");
            w.Open($"for (int c = 0; c < {C}; c++)");
            w.Line($"int o = ((row * {C}) + c) * {S};");
            w.Line($"float s = {U}.Add(ref scale, c), t = {U}.Add(ref shift, c);");
            w.Line("int i = 0;");
            if (S >= 8)
            {
                w.Open($"if ({Level})");
                w.Line($"{VT} vs = {V}.Create(s), vt = {V}.Create(t);");
                w.Open($"for (; i <= {S - 8}; i += 8)");
                w.Line($"{VT} v = {Expr($"{V}.LoadUnsafe(ref z, (nuint)(o + i))", "vs", "vt")};");
                w.Line($"{V}.StoreUnsafe(v, ref y, (nuint)(o + i));");
                w.Close();
                w.Close();
            }

            w.Open($"for (; i < {S}; i++)");
            w.Line($"{U}.Add(ref y, o + i) = {Expr($"{U}.Add(ref z, o + i)", "s", "t")};");
            w.Close();
            w.Close();
            w.Close();
        }

        w.Close();
        w.Line();
    }

    /// <summary>
    /// BatchNorm backward, first pass: dU = act'(dY, z·scale + shift) stored, and per channel
    /// Σ dU and Σ dU·x̂ with x̂ = (z − μ)·invStd.
    /// </summary>
    public static void WriteBackwardReduce(CodeWriter w, GroupView g)
    {
        int C = g.Channels, S = g.Spatial;
        w.Line($"/// <summary>Group {g.Index}: {(g.ActEntry is null ? "dU = dY" : $"dU = {g.Act!.Name}'(dY)")} and the BatchNorm reductions Σ dU, Σ dU·x̂ in one pass.</summary>");
        w.Open($"private static void G{g.Index}_BackwardReduce(ref float dy, ref float z, ref float du, int n, ref float scale, ref float shift, ref float mean, ref float invStd, ref double sumDu, ref double sumDuXhat)");
        w.Open("for (int row = 0; row < n; row++)");
        w.Open($"for (int c = 0; c < {C}; c++)");
        w.Line($"int o = ((row * {C}) + c) * {S};");
        w.Line($"float s = {U}.Add(ref scale, c), t = {U}.Add(ref shift, c), mu = {U}.Add(ref mean, c), inv = {U}.Add(ref invStd, c);");
        w.Line("double a = 0, b = 0;");
        w.Line("int i = 0;");
        if (S >= 8)
        {
            w.Open($"if ({Level})");
            w.Line($"{VT} vs = {V}.Create(s), vt = {V}.Create(t), vmu = {V}.Create(mu), vinv = {V}.Create(inv), va = {VT}.Zero, vb = {VT}.Zero;");
            w.Open($"for (; i <= {S - 8}; i += 8)");
            w.Line($"{VT} zv = {V}.LoadUnsafe(ref z, (nuint)(o + i));");
            w.Line($"{VT} g = {g.ActBackward($"{V}.LoadUnsafe(ref dy, (nuint)(o + i))", "(zv * vs) + vt")};");
            w.Line($"{V}.StoreUnsafe(g, ref du, (nuint)(o + i));");
            w.Line("va += g;");
            w.Line("vb += g * ((zv - vmu) * vinv);");
            w.Close();
            w.Line($"a = {V}.Sum(va);");
            w.Line($"b = {V}.Sum(vb);");
            w.Close();
        }

        w.Open($"for (; i < {S}; i++)");
        w.Line($"float zs = {U}.Add(ref z, o + i);");
        w.Line($"float g = {g.ActBackward($"{U}.Add(ref dy, o + i)", "(zs * s) + t")};");
        w.Line($"{U}.Add(ref du, o + i) = g;");
        w.Line("a += g;");
        w.Line("b += (double)g * ((zs - mu) * inv);");
        w.Close();
        w.Line($"{U}.Add(ref sumDu, c) += a;");
        w.Line($"{U}.Add(ref sumDuXhat, c) += b;");
        w.Close();
        w.Close();
        w.Close();
        w.Line();
    }

    /// <summary>dZ = act'(dY, u) elementwise over n samples.</summary>
    public static void WriteActBackward(CodeWriter w, GroupView g)
    {
        int length = g.OutLength;
        w.Line($"/// <summary>Group {g.Index}: dZ = {g.Act!.Name}'(dY) at the saved pre-activation values.</summary>");
        w.Open($"private static void G{g.Index}_ActBackward(ref float dy, ref float u, ref float dz, int n)");
        w.Line($"int total = n * {length};");
        w.Line("int i = 0;");
        w.Open($"if ({Level})");
        w.Open("for (; i <= total - 8; i += 8)");
        w.Line($"{V}.StoreUnsafe({g.ActBackward($"{V}.LoadUnsafe(ref dy, (nuint)i)", $"{V}.LoadUnsafe(ref u, (nuint)i)")}, ref dz, (nuint)i);");
        w.Close();
        w.Close();
        w.Open("for (; i < total; i++)");
        w.Line($"{U}.Add(ref dz, i) = {g.ActBackward($"{U}.Add(ref dy, i)", $"{U}.Add(ref u, i)")};");
        w.Close();
        w.Close();
        w.Line();
    }
}
