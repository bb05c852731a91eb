package deploy

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// A small evaluator of cloudformation.yaml for a set of parameters: what
// CloudFormation would create, with every intrinsic the template uses
// resolved (Ref, Fn::GetAtt, Fn::Sub, Fn::If, Fn::Select, Fn::Split,
// Fn::Join, conditions, AWS::NoValue) and resources whose Condition is false
// left out. Physical names are predictable: a queue's ARN is built from its
// QueueName, a role's from stack-LogicalId. This is enough to check IAM and
// resource policies as ARNs, the way AWS evaluates them.

const (
	evalPartition = "aws"
	evalRegion    = "eu-west-1"
	evalAccount   = "123456789012"
	evalStack     = "summarizer"
)

// noValue is AWS::NoValue: the property or list element is dropped.
type noValueT struct{}

var noValue = noValueT{}

type stack struct {
	t          *testing.T
	tpl        map[string]any
	params     map[string]string
	conditions map[string]bool
	resources  map[string]map[string]any // logical id -> {Type, Properties} resolved, existing only
	evaluating map[string]bool
}

// evalTemplate resolves the template with its parameter defaults and the
// overrides.
func evalTemplate(t *testing.T, overrides map[string]string) *stack {
	t.Helper()
	tpl := template(t)
	s := &stack{t: t, tpl: tpl, params: map[string]string{}, conditions: map[string]bool{},
		resources: map[string]map[string]any{}, evaluating: map[string]bool{}}
	for name := range dict(tpl, "Parameters") {
		if def, ok := dict(tpl, "Parameters", name)["Default"]; ok {
			s.params[name] = fmt.Sprint(def)
		}
	}
	for k, v := range overrides {
		if dict(tpl, "Parameters", k) == nil {
			t.Fatalf("template has no parameter %s", k)
		}
		s.params[k] = v
	}
	for name := range dict(tpl, "Parameters") {
		if _, ok := s.params[name]; !ok {
			t.Fatalf("parameter %s has no default and no value", name)
		}
		if pat := str(tpl, "Parameters", name, "AllowedPattern"); pat != "" {
			if !regexp.MustCompile(pat).MatchString(s.params[name]) {
				t.Fatalf("parameter %s=%q does not match its AllowedPattern %s", name, s.params[name], pat)
			}
		}
	}
	for name := range dict(tpl, "Conditions") {
		s.condition(name)
	}
	for id := range dict(tpl, "Resources") {
		r := dict(tpl, "Resources", id)
		if c := str(r, "Condition"); c != "" && !s.condition(c) {
			continue
		}
		props := s.eval(get(r, "Properties"))
		if props == noValue || props == nil {
			props = map[string]any{}
		}
		s.resources[id] = map[string]any{"Type": str(r, "Type"), "Properties": props}
	}
	return s
}

func (s *stack) condition(name string) bool {
	if v, ok := s.conditions[name]; ok {
		return v
	}
	expr := get(s.tpl, "Conditions", name)
	if expr == nil {
		s.t.Fatalf("unknown condition %s", name)
	}
	v := s.cond(expr)
	s.conditions[name] = v
	return v
}

func (s *stack) cond(expr any) bool {
	m, ok := expr.(map[string]any)
	if !ok || len(m) != 1 {
		s.t.Fatalf("condition %v: want one function", expr)
	}
	for fn, arg := range m {
		args, _ := arg.([]any)
		switch fn {
		case "Condition":
			return s.condition(fmt.Sprint(arg))
		case "Fn::Equals":
			return fmt.Sprint(s.eval(args[0])) == fmt.Sprint(s.eval(args[1]))
		case "Fn::Not":
			return !s.cond(args[0])
		case "Fn::And":
			for _, a := range args {
				if !s.cond(a) {
					return false
				}
			}
			return true
		case "Fn::Or":
			for _, a := range args {
				if s.cond(a) {
					return true
				}
			}
			return false
		}
		s.t.Fatalf("condition function %s is not supported here", fn)
	}
	return false
}

// eval resolves every intrinsic function in v.
func (s *stack) eval(v any) any {
	switch x := v.(type) {
	case map[string]any:
		if len(x) == 1 {
			for k, arg := range x {
				if k == "Ref" || strings.HasPrefix(k, "Fn::") {
					return s.fn(k, arg)
				}
			}
		}
		out := map[string]any{}
		for k, e := range x {
			if r := s.eval(e); r != noValue {
				out[k] = r
			}
		}
		return out
	case []any:
		out := []any{}
		for _, e := range x {
			if r := s.eval(e); r != noValue {
				out = append(out, r)
			}
		}
		return out
	default:
		return v
	}
}

func (s *stack) fn(name string, arg any) any {
	args, _ := arg.([]any)
	switch name {
	case "Ref":
		return s.ref(fmt.Sprint(arg))
	case "Fn::GetAtt":
		return s.getAtt(fmt.Sprint(args[0]), fmt.Sprint(args[1]))
	case "Fn::If":
		if s.condition(fmt.Sprint(args[0])) {
			return s.eval(args[1])
		}
		return s.eval(args[2])
	case "Fn::Select":
		var i int
		fmt.Sscan(fmt.Sprint(s.eval(args[0])), &i)
		l, _ := s.eval(args[1]).([]any)
		if i >= len(l) {
			s.t.Fatalf("Fn::Select %d of %v", i, l)
		}
		return l[i]
	case "Fn::Split":
		var out []any
		for _, p := range strings.Split(fmt.Sprint(s.eval(args[1])), fmt.Sprint(args[0])) {
			out = append(out, p)
		}
		return out
	case "Fn::Join":
		var parts []string
		for _, p := range s.eval(args[1]).([]any) {
			parts = append(parts, fmt.Sprint(p))
		}
		return strings.Join(parts, fmt.Sprint(args[0]))
	case "Fn::Sub":
		text, vars := "", map[string]any{}
		switch a := arg.(type) {
		case string:
			text = a
		case []any:
			text = fmt.Sprint(a[0])
			for k, e := range dict(a, 1) {
				vars[k] = s.eval(e)
			}
		}
		return subVar.ReplaceAllStringFunc(text, func(m string) string {
			name := m[2 : len(m)-1]
			if strings.HasPrefix(name, "!") {
				return "${" + name[1:] + "}"
			}
			if v, ok := vars[name]; ok {
				return fmt.Sprint(v)
			}
			if res, att, ok := strings.Cut(name, "."); ok && !strings.HasPrefix(name, "AWS::") {
				return fmt.Sprint(s.getAtt(res, att))
			}
			return fmt.Sprint(s.ref(name))
		})
	}
	s.t.Fatalf("%s is not supported by the test's evaluator", name)
	return nil
}

var subVar = regexp.MustCompile(`\$\{[^}]+\}`)

func (s *stack) ref(name string) any {
	switch name {
	case "AWS::Partition":
		return evalPartition
	case "AWS::Region":
		return evalRegion
	case "AWS::AccountId":
		return evalAccount
	case "AWS::StackName":
		return evalStack
	case "AWS::NoValue":
		return noValue
	}
	if v, ok := s.params[name]; ok {
		return v
	}
	r := dict(s.tpl, "Resources", name)
	if r == nil {
		s.t.Fatalf("Ref %s: no such parameter or resource", name)
	}
	switch str(r, "Type") {
	case "AWS::SQS::Queue":
		return fmt.Sprintf("https://sqs.%s.amazonaws.com/%s/%s", evalRegion, evalAccount, s.physicalName(name, "QueueName"))
	case "AWS::S3::Bucket":
		return s.physicalName(name, "BucketName")
	case "AWS::IAM::Role":
		return s.physicalName(name, "RoleName")
	case "AWS::IAM::ManagedPolicy":
		return fmt.Sprintf("arn:%s:iam::%s:policy/%s", evalPartition, evalAccount, s.physicalName(name, "ManagedPolicyName"))
	}
	return evalStack + "-" + name
}

func (s *stack) getAtt(name, att string) any {
	r := dict(s.tpl, "Resources", name)
	if r == nil {
		s.t.Fatalf("Fn::GetAtt %s.%s: no such resource", name, att)
	}
	switch typ := str(r, "Type"); {
	case typ == "AWS::SQS::Queue" && att == "Arn":
		return fmt.Sprintf("arn:%s:sqs:%s:%s:%s", evalPartition, evalRegion, evalAccount, s.physicalName(name, "QueueName"))
	case typ == "AWS::SQS::Queue" && att == "QueueName":
		return s.physicalName(name, "QueueName")
	case typ == "AWS::S3::Bucket" && att == "Arn":
		return fmt.Sprintf("arn:%s:s3:::%s", evalPartition, s.physicalName(name, "BucketName"))
	case typ == "AWS::IAM::Role" && att == "Arn":
		return fmt.Sprintf("arn:%s:iam::%s:role/%s", evalPartition, evalAccount, s.physicalName(name, "RoleName"))
	}
	s.t.Fatalf("Fn::GetAtt %s.%s is not supported by the test's evaluator", name, att)
	return nil
}

// physicalName is the resource's name property, or stack-LogicalId.
func (s *stack) physicalName(id, prop string) string {
	raw := get(s.tpl, "Resources", id, "Properties", prop)
	if raw == nil {
		return evalStack + "-" + id
	}
	if s.evaluating[id] {
		s.t.Fatalf("%s.%s refers to itself", id, prop)
	}
	s.evaluating[id] = true
	defer delete(s.evaluating, id)
	return fmt.Sprint(s.eval(raw))
}

func (s *stack) resource(id string) map[string]any {
	s.t.Helper()
	r, ok := s.resources[id]
	if !ok {
		s.t.Fatalf("the stack has no resource %s", id)
	}
	return r
}

func (s *stack) arn(id string) string  { return fmt.Sprint(s.getAtt(id, "Arn")) }
func (s *stack) name(id string) string { return fmt.Sprint(s.ref(id)) }

// ofType are the logical ids of the resources of a type, sorted.
func (s *stack) ofType(typ string) []string {
	var out []string
	for id, r := range s.resources {
		if r["Type"] == typ {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}

// statement is one IAM policy statement, actions and resources as lists.
type statement struct {
	from      string // resource (and policy) it comes from
	sid       string
	effect    string
	principal any
	actions   []string
	resources []string
	condition map[string]any
}

func (st statement) String() string {
	return fmt.Sprintf("%s %s %s %v on %v", st.from, st.sid, st.effect, st.actions, st.resources)
}

func strings1(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		var out []string
		for _, e := range x {
			out = append(out, fmt.Sprint(e))
		}
		return out
	}
	return nil
}

func statements(from string, doc any) []statement {
	if s, ok := doc.(string); ok { // a JSON policy in Fn::Sub
		var m map[string]any
		if err := json.Unmarshal([]byte(s), &m); err != nil {
			panic(fmt.Sprintf("%s: policy is not JSON: %v: %s", from, err, s))
		}
		doc = m
	}
	var out []statement
	sts := get(doc, "Statement")
	if m, ok := sts.(map[string]any); ok {
		sts = []any{m}
	}
	for _, st := range sts.([]any) {
		out = append(out, statement{
			from:      from,
			sid:       str(st, "Sid"),
			effect:    str(st, "Effect"),
			principal: get(st, "Principal"),
			actions:   strings1(get(st, "Action")),
			resources: strings1(get(st, "Resource")),
			condition: dict(st, "Condition"),
		})
	}
	return out
}

// grants are the identity-policy statements that apply to a role: its
// inline Policies, its ManagedPolicyArns, and AWS::IAM::Policy and
// AWS::IAM::ManagedPolicy resources that name it in Roles.
func (s *stack) grants(role string) []statement {
	r := s.resource(role)
	if r["Type"] != "AWS::IAM::Role" {
		s.t.Fatalf("%s is a %v, not a role", role, r["Type"])
	}
	var out []statement
	for _, p := range list(r, "Properties", "Policies") {
		out = append(out, statements(role+"/"+str(p, "PolicyName"), get(p, "PolicyDocument"))...)
	}
	attached := strings1(get(r, "Properties", "ManagedPolicyArns"))
	name := s.name(role)
	for _, id := range append(s.ofType("AWS::IAM::Policy"), s.ofType("AWS::IAM::ManagedPolicy")...) {
		p := s.resources[id]
		arn := ""
		if p["Type"] == "AWS::IAM::ManagedPolicy" {
			arn = s.name(id)
		}
		if slices.Contains(strings1(get(p, "Properties", "Roles")), name) || (arn != "" && slices.Contains(attached, arn)) {
			out = append(out, statements(id, get(p, "Properties", "PolicyDocument"))...)
		}
	}
	return out
}

// policyStatements are the statements of a policy resource.
func (s *stack) policyStatements(id string) []statement {
	return statements(id, get(s.resource(id), "Properties", "PolicyDocument"))
}

// trustedSubjects are the ServiceAccounts ("system:serviceaccount:NS:NAME")
// a role's trust policy lets assume it, and the audiences it requires.
func (s *stack) trustedSubjects(role string) (subs, auds []string) {
	for _, st := range statements(role+"/trust", get(s.resource(role), "Properties", "AssumeRolePolicyDocument")) {
		if st.effect != "Allow" {
			continue
		}
		for k, v := range dict(st.condition, "StringEquals") {
			switch {
			case strings.HasSuffix(k, ":sub"):
				subs = append(subs, strings1(v)...)
			case strings.HasSuffix(k, ":aud"):
				auds = append(auds, strings1(v)...)
			}
		}
	}
	slices.Sort(subs)
	return subs, auds
}

// allowed is the set "action resource" of a lane's Allow statements.
func allowed(sts []statement) map[string]bool {
	out := map[string]bool{}
	for _, st := range sts {
		if st.effect != "Allow" {
			continue
		}
		for _, a := range st.actions {
			for _, r := range st.resources {
				out[a+" "+r] = true
			}
		}
	}
	return out
}

func keys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
