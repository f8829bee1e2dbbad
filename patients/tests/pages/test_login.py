def test_login_page_and_sign_in(client, clinician):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    assert b'name="username"' in response.content
    response = client.post("/accounts/login/", {"username": "clinician",
                                                "password": "correct-horse-battery"})
    assert response.status_code == 302
    assert response["Location"] == "/"  # the home page: a clinician's is the worklist


def test_wrong_password_is_refused(client, clinician):
    response = client.post("/accounts/login/", {"username": "clinician", "password": "nope"})
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
