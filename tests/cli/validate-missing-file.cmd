autotune validate /nonexistent/profile.yaml
