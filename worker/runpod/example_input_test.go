package runpod_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"

	"github.com/summarizer/summarizer/worker/runpod"
)

// echoEndpoint completes every job at once, with the "input" it was sent as output.
func echoEndpoint() *httptest.Server {
	var last json.RawMessage
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/v2/demo/run":
			var req struct {
				Input json.RawMessage `json:"input"`
			}
			body, _ := io.ReadAll(r.Body)
			_ = json.Unmarshal(body, &req)
			last = req.Input
			fmt.Fprint(w, `{"id":"job-1","status":"IN_QUEUE"}`)
		case "/v2/demo/status/job-1":
			out, _ := json.Marshal(string(last))
			fmt.Fprintf(w, `{"id":"job-1","status":"COMPLETED","output":%s}`, out)
		default:
			http.NotFound(w, r)
		}
	}))
}

// RUNPOD_INPUT_FORMAT=path: the file's contents become Config.InputTemplate.
func ExampleConfig_inputTemplate() {
	srv := echoEndpoint()
	defer srv.Close()

	client, err := runpod.New(runpod.Config{
		EndpointURL:   srv.URL + "/v2/demo",
		InputFormat:   runpod.InputFormatTemplate,
		InputTemplate: `{"prompt": {{json .Prompt}}, "max_new_tokens": {{.MaxTokens}}, "temperature": 0}`,
		MaxNewTokens:  128,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	id, err := client.Submit(ctx, "She said \"ship it\".\nSummarize.")
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := client.Wait(ctx, id)
	fmt.Println(res.Text, err)

	_, err = runpod.New(runpod.Config{
		EndpointURL:   srv.URL + "/v2/demo",
		InputTemplate: `{"prompt": "{{.Prompt}}"}`, // not escaped
	})
	fmt.Println(err)
	// Output:
	// {"prompt":"She said \"ship it\".\nSummarize.","max_new_tokens":128,"temperature":0} <nil>
	// runpod: invalid config: runpod: InputTemplate: does not render valid JSON (invalid character '\n' in string literal); insert the prompt with {{json .Prompt}}
}

// url mode: the worker downloads the transcript itself.
func ExampleClient_SubmitInput() {
	srv := echoEndpoint()
	defer srv.Close()

	client, err := runpod.New(runpod.Config{EndpointURL: srv.URL + "/v2/demo"})
	if err != nil {
		fmt.Println(err)
		return
	}
	presigned := "https://bucket.s3.amazonaws.com/t.txt?X-Amz-Signature=abc&X-Amz-Expires=900"
	ctx := context.Background()
	id, err := client.SubmitInput(ctx, map[string]string{"url": presigned})
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := client.Wait(ctx, id)
	fmt.Println(res.Text, id, err)
	// Output:
	// {"url":"https://bucket.s3.amazonaws.com/t.txt?X-Amz-Signature=abc&X-Amz-Expires=900"} job-1 <nil>
}
