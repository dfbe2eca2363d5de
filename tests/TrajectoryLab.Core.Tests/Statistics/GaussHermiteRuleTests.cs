// The Gauss–Hermite rule against closed forms (the 1-, 2- and 3-point rules, the Gaussian moments (2m − 1)!!, the
// characteristic function E[cos(a z)] = e^{−a²/2}) and, for the integrands of the mean-field theory, against a fine
// trapezoid integral. Tolerances: rounding (1e-13 relative) where the rule is exact or the integrand entire; for
// tanh(√q z)² and tanh′(√q z)² at the default order (600 nodes) the errors measured against the trapezoid were ≤ 2e-13
// for q ≤ 4, 1e-8 at q = 9 and 2e-6 at q = 16 (tanh′² the larger; the poles of tanh at Im z = π/(2√q) close in as q
// grows), so the bounds are 1e-12, 1e-7 and 1e-5.
// References: Abramowitz & Stegun (1964), table 25.10 and 25.4.46; Golub & Welsch (1969).
using TrajectoryLab.Core.Statistics;
using TrajectoryLab.Core.Systems;

namespace TrajectoryLab.Core.Tests.Statistics;

public sealed class GaussHermiteRuleTests
{
    static readonly GaussHermiteRule Default = new(MeanFieldChaos.DefaultOrder);

    [Fact(DisplayName = "The 1-, 2- and 3-point rules are the closed forms (nodes 0; ±1; 0, ±√3 with weights 1; ½; ⅔, ⅙)")]
    public void SmallRulesAreTheClosedForms()
    {
        var one = new GaussHermiteRule(1);
        Assert.Equal(0, one.Nodes[0], 1e-15);
        Assert.Equal(1, one.Weights[0], 1e-15);
        var two = new GaussHermiteRule(2);
        Assert.Equal([-1.0, 1.0], two.Nodes.Select(z => Math.Round(z, 14)));
        Assert.All(two.Weights, w => Assert.Equal(0.5, w, 1e-15));
        var three = new GaussHermiteRule(3);
        Assert.Equal(-Math.Sqrt(3), three.Nodes[0], 1e-14);
        Assert.Equal(0, three.Nodes[1], 1e-15);
        Assert.Equal(Math.Sqrt(3), three.Nodes[2], 1e-14);
        Assert.Equal(1.0 / 6, three.Weights[0], 1e-15);
        Assert.Equal(2.0 / 3, three.Weights[1], 1e-15);
        Assert.Equal(1.0 / 6, three.Weights[2], 1e-15);
    }

    [Theory(DisplayName = "Weights are positive and sum to 1 within 1e-14; nodes ascend and are symmetric")]
    [InlineData(5)]
    [InlineData(50)]
    [InlineData(200)]
    [InlineData(600)]
    [InlineData(GaussHermiteRule.MaxOrder)]
    public void WeightsFormAProbabilityMeasure(int order)
    {
        var rule = order == MeanFieldChaos.DefaultOrder ? Default : new GaussHermiteRule(order);
        Assert.Equal(order, rule.Order);
        Assert.All(rule.Weights, w => Assert.True(w >= 0));
        Assert.True(rule.Weights[order / 2] > 0);
        Assert.Equal(1, rule.Weights.Sum(), 1e-14);
        for (var i = 0; i < order; i++)
        {
            Assert.Equal(-rule.Nodes[order - 1 - i], rule.Nodes[i]);
            if (i > 0)
                Assert.True(rule.Nodes[i] > rule.Nodes[i - 1]);
        }
    }

    [Fact(DisplayName = "E[z^2m] = (2m − 1)!! for 2m ≤ 2n − 1 and odd moments vanish (20 nodes, 1e-12 relative)")]
    public void GaussianMomentsAreExact()
    {
        var rule = new GaussHermiteRule(20);
        Assert.Equal(1, rule.Expectation(z => z * z), 1e-13);
        Assert.Equal(3, rule.Expectation(z => Math.Pow(z, 4)), 3e-13);
        var doubleFactorial = 1.0;
        for (var m = 1; 2 * m <= 38; m++)
        {
            doubleFactorial *= 2 * m - 1;
            var moment = rule.Expectation(z => Math.Pow(z, 2 * m));
            Assert.True(Math.Abs(moment / doubleFactorial - 1) < 1e-12, $"E[z^{2 * m}] = {moment}, expected {doubleFactorial}");
            Assert.Equal(0, rule.Expectation(z => Math.Pow(z, 2 * m - 1)), 1e-12 * doubleFactorial);
        }
    }

    [Theory(DisplayName = "E[cos(a z)] = exp(−a²/2) within 1e-13 (60 nodes)")]
    [InlineData(0.5)]
    [InlineData(1.0)]
    [InlineData(2.0)]
    [InlineData(4.0)]
    public void CharacteristicFunction(double a) =>
        Assert.Equal(Math.Exp(-a * a / 2), new GaussHermiteRule(60).Expectation(z => Math.Cos(a * z)), 1e-13);

    [Theory(
        DisplayName = "E[tanh(√q z)²] and E[tanh′(√q z)²] at the default order agree with a trapezoid integral (h = 1e-3 on [−12, 12])"
    )]
    [InlineData(0.01, 1e-12)]
    [InlineData(0.5, 1e-12)]
    [InlineData(1.0, 1e-12)]
    [InlineData(4.0, 1e-12)]
    [InlineData(9.0, 1e-7)]
    [InlineData(16.0, 1e-5)]
    public void MeanFieldIntegrandsAgreeWithTheTrapezoid(double q, double tolerance)
    {
        var s = Math.Sqrt(q);
        Func<double, double> tanh2 = z => Math.Pow(Math.Tanh(s * z), 2),
            slope2 = z => Math.Pow(1 - Math.Pow(Math.Tanh(s * z), 2), 2);
        Assert.Equal(Trapezoid(tanh2), Default.Expectation(tanh2), tolerance);
        Assert.Equal(Trapezoid(slope2), Default.Expectation(slope2), tolerance);
    }

    [Fact(
        DisplayName = "More nodes are needed as the poles of tanh(√q z) approach the real axis: at q = 16, 200 nodes err ≥ 10× more than 600"
    )]
    public void ConvergenceSlowsWithTheVariance()
    {
        Func<double, double> slope2 = z => Math.Pow(1 - Math.Pow(Math.Tanh(4 * z), 2), 2);
        var exact = Trapezoid(slope2);
        var coarse = Math.Abs(new GaussHermiteRule(200).Expectation(slope2) - exact);
        var fine = Math.Abs(Default.Expectation(slope2) - exact);
        Assert.True(coarse > 10 * fine, $"200 nodes: {coarse:E2}, 600 nodes: {fine:E2}");
    }

    [Fact(DisplayName = "An order outside [1, MaxOrder] is refused")]
    public void OrderIsChecked()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new GaussHermiteRule(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new GaussHermiteRule(GaussHermiteRule.MaxOrder + 1));
    }

    /// <summary>E[f(z)] by the trapezoid rule with step 1e-3 on [−12, 12]: for integrands analytic in a strip of half-width d
    /// its error is O(e^{−2πd/h}) (Trefethen and Weideman 2014, SIAM Review 56:385) plus the tail beyond 12 (e^{−72}).</summary>
    internal static double Trapezoid(Func<double, double> f)
    {
        const double h = 1e-3,
            limit = 12;
        var points = (int)Math.Round(2 * limit / h);
        var sum = 0.0;
        for (var i = 0; i <= points; i++)
        {
            var z = -limit + i * h;
            sum += (i == 0 || i == points ? 0.5 : 1) * f(z) * Math.Exp(-z * z / 2);
        }
        return sum * h / Math.Sqrt(2 * Math.PI);
    }
}
