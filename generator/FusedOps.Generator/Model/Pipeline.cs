namespace FusedOps.Generator.Model;

/// <summary>A per-sample shape: rank 1 <c>(C)</c> or rank 3 <c>(C, H, W)</c>.</summary>
internal sealed record Shape(int Rank, int C, int H, int W)
{
    public int Length => C * H * W;

    public int Spatial => H * W;

    public static Shape Vector(int c) => new(1, c, 1, 1);

    public static Shape Image(int c, int h, int w) => new(3, c, h, w);

    public override string ToString() => Rank == 1 ? $"({C})" : $"({C}, {H}, {W})";

    public string ToArrayLiteral() => Rank == 1 ? $"{C}" : $"{C}, {H}, {W}";
}
