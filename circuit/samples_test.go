package circuit

// qasm3Samples are hand-written OpenQASM 3 programs covering the subset the
// parser accepts; they seed the fuzzer and the round-trip tests.
var qasm3Samples = []string{
	`OPENQASM 3.0;
include "stdgates.inc";
qubit[3] q;
bit[3] c;
h q[0];
ctrl @ h q[0], q[1];
negctrl @ x q[1], q[2];
inv @ s q[2];
pow(2) @ t q[0];
pow(0.5) @ x q[1];
ctrl(2) @ rz(pi/3) q[0], q[1], q[2];
inv @ ctrl @ u3(0.1, 0.2, 0.3) q[2], q[0];
c = measure q;
`,
	`OPENQASM 3;
input float theta;
gate rot(a) x, y { ry(a) x; cx x, y; gphase(a/2); }
qubit[3] q;
bit[2] c;
h q[2];
ctrl @ rot(theta) q[2], q[0], q[1];
U(1, 2, 3) q[1];
c[0] = measure q[0];
if (c[0] == 1) x q[1];
c[1] = measure q[1];
`,
	`OPENQASM 3.0;
cnot $0, $1;
si $0;
phaseshift(0.25) $1;
bit[2] b;
b[0] = measure $0;
b[1] = measure $1;
`,
	`OPENQASM 3.0;
include "stdgates.inc";
qubit[4] q;
bit[4] c;
rxx(0.3) q[0], q[1];
ryy(0.4) q[1], q[2];
rzz(0.5) q[2], q[3];
rzx(0.6) q[0], q[3];
iswap q[1], q[3];
inv @ iswap q[0], q[2];
cu(0.1, 0.2, 0.3, 0.4) q[0], q[1];
csx q[2], q[3];
inv @ c3sqrtx q[0], q[1], q[2], q[3];
pow(-3) @ sx q[0];
pow(1.5) @ cx q[0], q[1];
reset q[2];
barrier q;
c = measure q;
`,
}
