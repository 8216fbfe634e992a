#!/usr/bin/python3
"""Minimax fit of the polynomial in crates/kernels/src/boxes.rs `atan`:
atan(w) = w + w*z*P(z), z = w^2, |w| <= tan(pi/16) (plus a 1e-6 margin), minimising the
relative error of atan(w) (Remez exchange, mpmath at 60 digits).

    /usr/bin/python3 scripts/fit_atan.py 2 f32     # degree 2: 2^-27.9
    /usr/bin/python3 scripts/fit_atan.py 7 f64     # degree 7: 2^-62.5
"""
import mpmath as mp
import sys
mp.mp.dps = 60
zmax = (mp.tan(mp.pi/16)*(1+mp.mpf('1e-6')))**2

def F(z):  # the target P(z)
    w = mp.sqrt(z)
    if z == 0: return mp.mpf(-1)/3
    return (mp.atan(w)/w - 1)/z

def W(z):  # relative-to-atan weight of an error in P
    w = mp.sqrt(z)
    if z == 0: return mp.mpf(0)
    return w*z/mp.atan(w)

def remez(deg, iters=30):
    n = deg + 1
    # initial reference: Chebyshev extrema
    xs = [zmax*(1 - mp.cos(mp.pi*i/(n)))/2 for i in range(n+1)]
    xs[0] = zmax*mp.mpf('1e-30')
    for it in range(iters):
        # solve sum c_k x^k + (-1)^i E / W(x) = F(x)
        A = mp.matrix(n+1, n+1); b = mp.matrix(n+1, 1)
        for i, x in enumerate(xs):
            for k in range(n): A[i, k] = x**k
            A[i, n] = (-1)**i / W(x)
            b[i] = F(x)
        sol = mp.lu_solve(A, b)
        c = [sol[k] for k in range(n)]
        E = sol[n]
        err = lambda x: (sum(c[k]*x**k for k in range(n)) - F(x))*W(x)
        # find extrema on a grid then refine
        N = 2000
        grid = [zmax*mp.mpf(j)/N for j in range(1, N+1)]
        vals = [err(x) for x in grid]
        ext = []
        for j in range(len(grid)):
            left = vals[j-1] if j > 0 else None
            right = vals[j+1] if j+1 < len(grid) else None
            v = vals[j]
            if (left is None or abs(v) >= abs(left)) and (right is None or abs(v) >= abs(right)):
                ext.append(grid[j])
        # keep alternating largest n+1
        # merge by sign
        pts = []
        for x in ext:
            e = err(x)
            if pts and mp.sign(err(pts[-1])) == mp.sign(e):
                if abs(e) > abs(err(pts[-1])): pts[-1] = x
            else:
                pts.append(x)
        while len(pts) > n+1:
            # drop smaller end
            if abs(err(pts[0])) < abs(err(pts[-1])): pts.pop(0)
            else: pts.pop()
        if len(pts) < n+1:
            break
        xs = pts
    maxerr = max(abs(err(x)) for x in [zmax*mp.mpf(j)/4000 for j in range(1, 4001)])
    return c, maxerr

for deg, name in [(int(sys.argv[1]), sys.argv[2])]:
    c, e = remez(deg)
    print(name, 'deg', deg, 'max rel err', mp.nstr(e, 5), 'log2', mp.nstr(mp.log(e, 2), 5))
    for v in c:
        print('   ', mp.nstr(v, 25))
